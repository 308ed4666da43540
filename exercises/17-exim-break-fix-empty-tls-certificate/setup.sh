#!/usr/bin/env bash
# service: mail
# Start state (troubleshooting row "tls_certificate = \ (vide)"): the SNI file for mail.domaine.tld is deployed, but
# someone deleted the panel fallback certificate.{crt,key}: every other name, or no SNI at all, lands on a missing file.
set -euo pipefail
rm -f /usr/local/hestia/ssl/certificate.crt /usr/local/hestia/ssl/certificate.key
test -s /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
