#!/usr/bin/env bash
# service: mail
# Start state: exercise 2 done, and the course's §12.3 script pasted as published: the page's e-mail protection
# replaced the recipient with "[email protected]", and nothing schedules the script.
set -euo pipefail
cat > /usr/local/bin/check-cert-expiry <<'SH'
#!/usr/bin/env bash
CRT="/usr/local/hestia/ssl/mail/mail.domaine.tld.crt"
EXP=$(date -d "$(openssl x509 -in $CRT -noout -enddate | cut -d= -f2)" +%s)
NOW=$(date +%s)
DAYS=$(( (EXP-NOW)/86400 ))
if [ $DAYS -lt 20 ]; then
echo "ALERTE: Certificat SMTP expire dans $DAYS jours" | mail -s "Certificat SMTP" [email protected]
fi
SH
chmod 755 /usr/local/bin/check-cert-expiry
rm -f /etc/cron.d/check-cert-expiry /etc/cron.d/cert-expiry /etc/cron.daily/check-cert-expiry
test -s /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
