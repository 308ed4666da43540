#!/usr/bin/env bash
# service: mail
# Start state (after shared:postfix-submission.sh): no firewall, and a re-injection smtpd on 10025 that a content
# filter on this host would use, listening on every address by mistake, as happens.
set -euo pipefail
ufw --force disable >/dev/null 2>&1 || true
postconf -M '10025/inet=10025 inet n - y - - smtpd'
postconf -P '10025/inet/syslog_name=postfix/reinject' '10025/inet/content_filter=' '10025/inet/smtpd_recipient_restrictions=permit_mynetworks,reject'
postfix check
systemctl reload postfix >/dev/null
for _ in $(seq 1 40); do
  grep -q ':2729 00000000:0000 0A' /proc/net/tcp && exit 0
  sleep 0.25
done
echo "10025 not listening" >&2
exit 1
