#!/bin/sh
# Entrypoint of the postfix role: records the session env, then starts Dovecot (SASL) and Postfix.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SESSION=%s\nLAB_LAB=%s\nLAB_SUBNET=%s\nLAB_DNS_IP=%s\n' "${LAB_SESSION:-}" "${LAB_LAB:-}" "$LAB_SUBNET" "${LAB_DNS_IP:-$LAB_SUBNET.10}" > /etc/lab/env
# Non-fatal: the mail service must come up even if the ACME client setup cannot.
/usr/local/bin/lab-acme-client || echo 'lab-acme-client failed: certbot will lack lab credentials' >&2
# The queue's own filesystem (a tmpfs of fixed size, so a full disk is a real one and stays inside the sandbox) is
# empty after each start: lay out Postfix's directories with their owners and modes before anything uses them.
[ -d /var/spool/postfix/active ] || cp -a /usr/local/share/lab-postfix-spool/. /var/spool/postfix/
# A container restarted after a reboot or a Docker restart, or started from a snapshot, keeps the pid files of
# daemons that no longer run: Dovecot refuses to start when such a pid now belongs to another process.
find /run /var/run /var/spool/postfix/pid -maxdepth 2 -name '*.pid' -type f -delete 2>/dev/null || true
/etc/init.d/dovecot start
/etc/init.d/postfix start
exec sleep infinity
