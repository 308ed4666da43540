#!/usr/bin/env bash
# service: mail
# Fault, simulated: Postfix believes its queue's disk is full. Really filling the container's disk would fill the host's
# (an overlay filesystem has no size of its own), so queue_minfree is set above the free space: smtpd then answers
# "452 4.3.1 Insufficient system storage" and logs "not enough free space in mail queue", as on a full disk.
set -euo pipefail
save=/var/lib/lab-faults/queue_minfree
mkdir -p /var/lib/lab-faults
case "${1:-inject}" in
  inject)
    [ -f "$save" ] || postconf -h queue_minfree > "$save"
    free=$(df -B1 --output=avail /var/spool/postfix | tail -n 1 | tr -d ' ')
    postconf -e "queue_minfree = $((free + 1073741824))"
    systemctl reload postfix >/dev/null
    echo "queue_minfree above the $free bytes free: Postfix now refuses mail for lack of space" ;;
  clear)
    value=$(cat "$save" 2>/dev/null || echo 0)
    postconf -e "queue_minfree = $value"
    rm -f "$save"
    systemctl reload postfix >/dev/null
    echo "queue_minfree = $value" ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
