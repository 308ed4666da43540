#!/usr/bin/env bash
# service: toolbox
# Scripted answer: the course's `acme.sh --issue -d domaine.tld -d '*.domaine.tld' --dns dns_cf --keylength ec-256`,
# written for certbot against Pebble with the TXT records set in the lab DNS by RFC 2136.
set -euo pipefail
# Naming both --cert-name and --key-type is how certbot confirms a key type change of an existing lineage.
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
  --server https://acme.lab.test:14000/dir \
  --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini \
  --key-type ecdsa --elliptic-curve secp256r1 --force-renewal \
  --cert-name domaine.tld -d domaine.tld -d '*.domaine.tld'
openssl x509 -in /etc/letsencrypt/live/domaine.tld/cert.pem -noout -ext subjectAltName -dates -subject
