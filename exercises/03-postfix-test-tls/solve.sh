#!/usr/bin/env bash
# service: mail
# Scripted answer: the mail.domaine.tld certificate with its chain, TLS 1.2 and 1.3.
set -euo pipefail
postconf -e \
  'smtpd_tls_cert_file = /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem' \
  'smtpd_tls_key_file = /etc/letsencrypt/live/mail.domaine.tld/privkey.pem' \
  'smtpd_tls_protocols = >=TLSv1.2' \
  'smtpd_tls_mandatory_protocols = >=TLSv1.2'
postfix check
systemctl reload postfix >/dev/null
