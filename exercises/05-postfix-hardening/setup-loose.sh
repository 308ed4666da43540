#!/usr/bin/env bash
# service: mail
# Start state: TLS works but the server says and accepts too much (see text.fr.md, "État de départ").
set -euo pipefail
postconf -e \
  'smtpd_banner = $myhostname ESMTP $mail_name $mail_version (Debian/GNU)' \
  'smtpd_sasl_type = dovecot' \
  'smtpd_sasl_path = private/auth' \
  'smtpd_sasl_auth_enable = yes' \
  'smtpd_tls_auth_only = no' \
  'disable_vrfy_command = no' \
  'fast_flush_domains = domaine.tld' \
  'smtpd_client_connection_count_limit = 0'
postconf -X smtpd_etrn_restrictions 2>/dev/null || true
postconf -MX smtps/inet 2>/dev/null || true
postconf -M 'smtps/inet = smtps inet n - y - - smtpd'
postfix check
systemctl reload postfix >/dev/null
for _ in $(seq 1 40); do lab-listening 465 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 465
