#!/usr/bin/env bash
# service: toolbox
# Obtains a Pebble certificate by DNS-01 (TXT set by RFC 2136 in the lab DNS) and stages plain copies of it.
# usage: issue-cert.sh NAME [MORE_NAMES...]  → /root/lab-certs/NAME/{cert,chain,fullchain,privkey}.pem
set -euo pipefail
name=${1:?usage: issue-cert.sh NAME [NAMES...]}
# The toolbox entrypoint writes the session's TSIG credentials there (the learner may write their own).
cred=/etc/lab/rfc2136.ini
test -s "$cred"
domains=()
for n in "$@"; do domains+=(-d "$n"); done
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
  --server https://acme.lab.test:14000/dir \
  --dns-rfc2136 --dns-rfc2136-credentials "$cred" --dns-rfc2136-propagation-seconds 2 \
  --cert-name "$name" "${domains[@]}" >/tmp/certbot-"$name".log 2>&1 || { cat /tmp/certbot-"$name".log >&2; exit 1; }
# live/ holds symlinks into archive/: stage real files so they can be copied to another service as they are.
stage=/root/lab-certs/$name
mkdir -p "$stage"
for f in cert chain fullchain privkey; do cp -L "/etc/letsencrypt/live/$name/$f.pem" "$stage/$f.pem"; done
echo "issued $name: $(openssl x509 -in "$stage/cert.pem" -noout -subject -enddate | tr '\n' ' ')"
