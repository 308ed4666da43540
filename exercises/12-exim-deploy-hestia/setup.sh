#!/usr/bin/env bash
# service: mail
# Start state: the panel's self-signed fallback is what Exim presents, nothing in /usr/local/hestia/ssl/mail/;
# the wildcard certificate of exercise 1, issued by acme.sh on this host, waits in ~/.acme.sh/domaine.tld_ecc/.
set -euo pipefail
rm -f /usr/local/hestia/ssl/mail/*.crt /usr/local/hestia/ssl/mail/*.key /usr/local/bin/deploy-mail-cert.sh
test -s /root/.acme.sh/domaine.tld_ecc/fullchain.cer
test -s /root/.acme.sh/domaine.tld_ecc/domaine.tld.key
openssl x509 -in /usr/local/hestia/ssl/certificate.crt -noout -issuer | grep -q 'Hestia Control Panel'
