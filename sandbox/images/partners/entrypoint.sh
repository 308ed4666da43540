#!/bin/sh
# Entrypoint of the partners role: starts the partner MX (its CA and certificate come with the image).
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SESSION=%s\nLAB_SUBNET=%s\nLAB_DNS_IP=%s\n' "${LAB_SESSION:-}" "$LAB_SUBNET" "${LAB_DNS_IP:-$LAB_SUBNET.10}" > /etc/lab/env
# The partners CA and MX certificate are baked into the image (make-pki.sh): every sandbox of this image has the
# same ones, so a partners-ca.pem fetched in a learner's lab still verifies the partner in a grading sandbox.
[ -f /etc/partners/mx.pem ] || /usr/local/sbin/partners-make-pki
touch /var/log/partners/deliveries.jsonl
/etc/init.d/partners start
exec sleep infinity
