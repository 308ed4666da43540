#!/usr/bin/env bash
# service: mail
# Start state (after shared:postfix-submission.sh, 587 and 465 with SASL): the course document's fail2ban jail,
# copied as written (fail2ban installed, not running).
set -euo pipefail
systemctl stop fail2ban >/dev/null 2>&1 || true
rm -f /etc/fail2ban/jail.d/lab-*.conf /var/lib/fail2ban/fail2ban.sqlite3
cat > /etc/fail2ban/jail.local <<'JAIL'
[postfix-sasl]
enabled = true
port = smtp,submission,smtps
filter = postfix-sasl
logpath = /var/log/mail.log
maxretry = 3
bantime = 3600
JAIL
