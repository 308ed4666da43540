#!/bin/sh
# Entrypoint of the postfix role: records the session env, then starts Dovecot (SASL) and Postfix.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SESSION=%s\nLAB_LAB=%s\nLAB_SUBNET=%s\nLAB_DNS_IP=%s\n' "${LAB_SESSION:-}" "${LAB_LAB:-}" "$LAB_SUBNET" "${LAB_DNS_IP:-$LAB_SUBNET.10}" > /etc/lab/env
# Non-fatal: the mail service must come up even if the ACME client setup cannot.
/usr/local/bin/lab-acme-client || echo 'lab-acme-client failed: certbot will lack lab credentials' >&2
/etc/init.d/dovecot start
/etc/init.d/postfix start
exec sleep infinity
