#!/usr/bin/env bash
# service: mail
# Start state: exercise 2 done for domaine.tld (SNI file + fallback); nothing issued or deployed for
# mail.client2.tld, so Exim falls back to the domaine.tld wildcard for that name.
set -euo pipefail
rm -f /usr/local/hestia/ssl/mail/mail.client2.tld.*
rm -rf /root/.acme.sh/mail.client2.tld_ecc
test -s /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
