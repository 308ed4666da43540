#!/usr/bin/env bash
# service: mail
# Checklist item 10: the §12.3 expiry check, mailing postmaster through Exim's sendmail, scheduled daily.
set -euo pipefail
cat > /usr/local/bin/check-cert-expiry <<'SH'
#!/usr/bin/env bash
# Mails postmaster when the SMTP certificate has fewer than 20 days left (course §12.3).
set -euo pipefail
CRT="${1:-/usr/local/hestia/ssl/mail/mail.domaine.tld.crt}"
EXP=$(date -d "$(openssl x509 -in "$CRT" -noout -enddate | cut -d= -f2)" +%s)
DAYS=$(( (EXP - $(date +%s)) / 86400 ))
if [ "$DAYS" -lt 20 ]; then
  printf 'To: postmaster@domaine.tld\nSubject: Certificat SMTP\n\nALERTE: Certificat SMTP %s expire dans %s jours\n' "$CRT" "$DAYS" \
    | /usr/sbin/sendmail -t
fi
SH
chmod 755 /usr/local/bin/check-cert-expiry
printf '17 6 * * * root /usr/local/bin/check-cert-expiry\n' > /etc/cron.d/cert-expiry
