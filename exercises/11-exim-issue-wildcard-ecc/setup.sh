#!/usr/bin/env bash
# service: mail
# Start state: a first certificate for domaine.tld issued in a hurry with acme.sh, RSA and without the wildcard (the
# course's "SAN manquant (pas wildcard)" row), so *.domaine.tld (mail.domaine.tld included) is not covered, and there
# is no ~/.acme.sh/domaine.tld_ecc/ yet.
set -euo pipefail
rm -rf /root/.acme.sh/domaine.tld /root/.acme.sh/domaine.tld_ecc
. /etc/lab/cloudflare.env
acme.sh --set-default-ca --server letsencrypt >/dev/null
# --dnssleep 1: setup plumbing; the learner's own command keeps acme.sh's DNS check.
acme.sh --issue --dns dns_cf -d domaine.tld --keylength 2048 --dnssleep 1 >/var/log/lab-acme-sh-setup.log 2>&1 \
  || { cat /var/log/lab-acme-sh-setup.log >&2; exit 1; }
openssl x509 -in /root/.acme.sh/domaine.tld/domaine.tld.cer -noout -ext subjectAltName | grep -q 'DNS:domaine.tld'
