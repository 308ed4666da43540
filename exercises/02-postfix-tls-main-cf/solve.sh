#!/usr/bin/env bash
# service: mail
# Scripted answer: the course's main.cf TLS lines with the Pebble certificate, TLS 1.2 and later only.
set -euo pipefail
postconf -e \
  'smtpd_tls_cert_file = /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem' \
  'smtpd_tls_key_file = /etc/letsencrypt/live/mail.domaine.tld/privkey.pem' \
  'smtpd_tls_security_level = may' \
  'smtpd_tls_protocols = >=TLSv1.2' \
  'smtpd_tls_mandatory_protocols = >=TLSv1.2' \
  'smtpd_tls_loglevel = 1'
postfix check
systemctl reload postfix >/dev/null
