#!/usr/bin/env bash
# service: toolbox
# Start state: a first certificate for domaine.tld issued in a hurry, RSA and without the wildcard (the course's
# "SAN manquant (pas wildcard)" row), so *.domaine.tld (mail.domaine.tld included) is not covered.
set -euo pipefail
rm -rf /etc/letsencrypt/live/domaine.tld /etc/letsencrypt/archive/domaine.tld /etc/letsencrypt/renewal/domaine.tld.conf
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
  --server https://acme.lab.test:14000/dir \
  --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini \
  --key-type rsa --rsa-key-size 2048 --cert-name domaine.tld -d domaine.tld >/tmp/certbot-setup.log 2>&1 \
  || { cat /tmp/certbot-setup.log >&2; exit 1; }
openssl x509 -in /etc/letsencrypt/live/domaine.tld/cert.pem -noout -ext subjectAltName | grep -q 'DNS:domaine.tld'
