#!/usr/bin/env bash
# service: mail
# Scripted answer: the guide's commands as written (§4, §5.1, §5.3, §5.4), with the lab's Cloudflare credentials.
set -euo pipefail
. /etc/lab/cloudflare.env
acme.sh --set-default-ca --server letsencrypt
acme.sh --issue \
-d domaine.tld \
-d '*.domaine.tld' \
--dns dns_cf \
--keylength ec-256
openssl x509 -in ~/.acme.sh/domaine.tld_ecc/domaine.tld.cer -noout -ext subjectAltName -dates -subject
