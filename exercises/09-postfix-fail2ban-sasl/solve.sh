#!/usr/bin/env bash
# service: mail
# Scripted answer: the document's jail with its errors fixed. fail2ban 1.0 has no filter "postfix-sasl" any more
# (it is postfix[mode=auth]); Debian 12 has no rsyslog, so the log is Postfix's own maillog_file, polled; Debian's
# default sshd jail would stop fail2ban from starting (no sshd, no log); the ban goes into nftables.
set -euo pipefail
cat > /etc/fail2ban/jail.local <<'JAIL'
[sshd]
enabled = false

[postfix-sasl]
enabled = true
port = smtp,submission,submissions
filter = postfix[mode=auth]
backend = polling
logpath = /var/log/mail.log
maxretry = 3
findtime = 600
bantime = 3600
banaction = nftables-multiport
JAIL
fail2ban-client -t >/dev/null
systemctl restart fail2ban >/dev/null
for _ in $(seq 1 40); do
  fail2ban-client status postfix-sasl >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "fail2ban did not start the postfix-sasl jail" >&2
exit 1
