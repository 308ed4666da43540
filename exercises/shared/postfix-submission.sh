#!/usr/bin/env bash
# Enables submission (587, STARTTLS required) and submissions (465, implicit TLS) with Dovecot SASL, as exercise 4
# leaves them, and waits until both ports listen.
set -euo pipefail
for svc in submission submissions; do
  postconf -M "$svc/inet=$svc inet n - y - - smtpd"
  postconf -P "$svc/inet/syslog_name=postfix/$svc" "$svc/inet/smtpd_sasl_auth_enable=yes" \
    "$svc/inet/smtpd_sasl_type=dovecot" "$svc/inet/smtpd_sasl_path=private/auth" \
    "$svc/inet/smtpd_recipient_restrictions=permit_sasl_authenticated,reject"
done
postconf -P 'submission/inet/smtpd_tls_security_level=encrypt' 'submissions/inet/smtpd_tls_wrappermode=yes'
postfix check
systemctl reload postfix >/dev/null
for _ in $(seq 1 40); do
  grep -q ':024B 00000000:0000 0A' /proc/net/tcp && grep -q ':01D1 00000000:0000 0A' /proc/net/tcp && exit 0
  sleep 0.25
done
echo "submission ports 587/465 not listening" >&2
exit 1
