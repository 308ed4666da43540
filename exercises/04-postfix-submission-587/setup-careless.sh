#!/usr/bin/env bash
# service: mail
# Start state: submission opened by uncommenting its single master.cf line, SASL enabled globally in main.cf,
# and nothing requiring TLS: AUTH is offered in clear text and MAIL is accepted before STARTTLS on 587.
set -euo pipefail
postconf -e \
  'smtpd_sasl_type = dovecot' \
  'smtpd_sasl_path = private/auth' \
  'smtpd_sasl_auth_enable = yes' \
  'smtpd_tls_auth_only = no' \
  'smtpd_sasl_security_options = noanonymous'
postconf -MX submission/inet 2>/dev/null || true
postconf -M 'submission/inet = submission inet n - y - - smtpd'
postfix check
systemctl reload postfix >/dev/null
