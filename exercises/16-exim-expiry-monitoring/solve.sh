#!/usr/bin/env bash
# service: mail
# Scripted answer: the §12.3 script with a real recipient, sent through Exim's sendmail (works with or without a
# `mail` command), and a daily cron entry as §16.3 asks.
set -euo pipefail
cat > /usr/local/bin/check-cert-expiry <<'SH'
#!/usr/bin/env bash
# Mails postmaster when the SMTP certificate has fewer than 20 days left (course §12.3).
set -euo pipefail
CRT="${1:-/usr/local/hestia/ssl/mail/mail.domaine.tld.crt}"
TO="postmaster@domaine.tld"
EXP=$(date -d "$(openssl x509 -in "$CRT" -noout -enddate | cut -d= -f2)" +%s)
NOW=$(date +%s)
DAYS=$(( (EXP - NOW) / 86400 ))
if [ "$DAYS" -lt 20 ]; then
  printf 'To: %s\nSubject: Certificat SMTP\n\nALERTE: Certificat SMTP %s expire dans %s jours\n' "$TO" "$CRT" "$DAYS" \
    | /usr/sbin/sendmail -t
fi
SH
chmod 755 /usr/local/bin/check-cert-expiry
printf '# Daily SMTP certificate expiry check (course §12.3)\n17 6 * * * root /usr/local/bin/check-cert-expiry\n' > /etc/cron.d/cert-expiry
chmod 644 /etc/cron.d/cert-expiry
