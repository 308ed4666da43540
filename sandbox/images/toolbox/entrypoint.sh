#!/bin/sh
# Entrypoint of the toolbox role: writes the session's TSIG credentials, installs the lab CAs in the background.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
: "${LAB_TSIG_SECRET:?LAB_TSIG_SECRET is required (base64 HMAC-SHA256 key)}"
LAB_DNS_IP=${LAB_DNS_IP:-$LAB_SUBNET.10}
LAB_ACME_IP=${LAB_ACME_IP:-$LAB_SUBNET.11}
LAB_TSIG_NAME=${LAB_TSIG_NAME:-lab-update}
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SESSION=%s\nLAB_LAB=%s\nLAB_SUBNET=%s\nLAB_DNS_IP=%s\nLAB_ACME_IP=%s\nLAB_TSIG_NAME=%s\nACME_DIRECTORY=https://acme.lab.test:14000/dir\n' \
  "${LAB_SESSION:-}" "${LAB_LAB:-}" "$LAB_SUBNET" "$LAB_DNS_IP" "$LAB_ACME_IP" "$LAB_TSIG_NAME" > /etc/lab/env
/usr/local/bin/lab-acme-client
exec sleep infinity
