#!/usr/bin/env bash
# service: toolbox
# Scripted answer, part 1: the new CA knows no account and the old certificate is "not yet due" to certbot, so drop
# the stale account, force a new issuance, and stage the files for the mail host.
set -euo pipefail
rm -rf /etc/letsencrypt/accounts/acme.lab.test*
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email --force-renewal \
  --server https://acme.lab.test:14000/dir \
  --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini --dns-rfc2136-propagation-seconds 2 \
  --cert-name mail.domaine.tld -d mail.domaine.tld >/tmp/certbot-reissue.log 2>&1 || { cat /tmp/certbot-reissue.log >&2; exit 1; }
stage=/root/lab-certs/mail.domaine.tld
mkdir -p "$stage"
for f in cert chain fullchain privkey; do cp -L "/etc/letsencrypt/live/mail.domaine.tld/$f.pem" "$stage/$f.pem"; done
# The toolbox's own copy of the root is stale too.
curl -fsS --max-time 10 https://acme.lab.test:15000/roots/0 -o /etc/lab/pebble-root.pem
