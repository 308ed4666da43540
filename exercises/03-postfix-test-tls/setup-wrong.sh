#!/usr/bin/env bash
# service: mail
# Start state: the certificate of the course's example name (mail.example.com), leaf only, TLS capped at 1.2.
set -euo pipefail
test -s /etc/postfix/ssl/mail.example.com/cert.pem
postconf -e \
  'smtpd_tls_cert_file = /etc/postfix/ssl/mail.example.com/cert.pem' \
  'smtpd_tls_key_file = /etc/postfix/ssl/mail.example.com/privkey.pem' \
  'smtpd_tls_security_level = may' \
  'smtpd_tls_protocols = >=TLSv1.2, <=TLSv1.2' \
  'smtpd_tls_mandatory_protocols = >=TLSv1.2, <=TLSv1.2'
postfix check
systemctl reload postfix >/dev/null
