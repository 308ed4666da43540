#!/usr/bin/env bash
# service: mail
# Scripted answer: the course's "Sécurité avancée" settings, with smtpd_tls_ciphers for port 25 and 465 wrapped in TLS.
set -euo pipefail
postconf -X fast_flush_domains 2>/dev/null || true
postconf -e \
  'smtpd_tls_ciphers = high' \
  'smtpd_tls_mandatory_ciphers = high' \
  'smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, RC4, MD5, PSK, aECDH, EDH-DSS-DES-CBC3-SHA, EDH-RSA-DES-CBC3-SHA, KRB5-DES-CBC3-SHA' \
  'smtpd_tls_auth_only = yes' \
  'disable_vrfy_command = yes' \
  'smtpd_etrn_restrictions = reject' \
  'smtpd_banner = $myhostname ESMTP' \
  'smtpd_client_connection_count_limit = 10' \
  'smtpd_client_connection_rate_limit = 30' \
  'anvil_rate_time_unit = 60s' \
  'smtpd_client_message_rate_limit = 100'
postconf -MX smtps/inet 2>/dev/null || true
postconf -M 'smtps/inet = smtps inet n - y - - smtpd'
postconf -P \
  'smtps/inet/syslog_name=postfix/smtps' \
  'smtps/inet/smtpd_tls_wrappermode=yes' \
  'smtps/inet/smtpd_sasl_auth_enable=yes'
postfix check
systemctl reload postfix >/dev/null
sleep 1
for _ in $(seq 1 40); do lab-listening 465 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 465
