#!/usr/bin/env bash
# service: mail
# Start state: exercise 2 done for domaine.tld (SNI file + fallback); mail.client2.tld's certificate is issued and
# waits in ~/.acme.sh/mail.client2.tld_ecc/, but nothing is deployed under that name, so Exim falls back.
set -euo pipefail
rm -f /usr/local/hestia/ssl/mail/mail.client2.tld.*
test -s /root/.acme.sh/mail.client2.tld_ecc/fullchain.cer
test -s /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
