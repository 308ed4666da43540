#!/usr/bin/env bash
# service: mail
# Fault: the filesystem of Postfix's queue is really full. The queue has a filesystem of its own (a 32 MiB tmpfs, see
# sandbox/topologies/postfix.yaml), so filling it stays inside the sandbox. The culprit is a plausible one: a core
# dump a crashed daemon left in its working directory, the spool. smtpd then answers "452 4.3.1 Insufficient system
# storage" and logs "not enough free space in mail queue".
set -euo pipefail
spool=/var/spool/postfix
dump="$spool/core.smtpd.4242"
if ! mountpoint -q "$spool"; then
  # An image or topology without the queue's own filesystem: filling it would fill the host's disk.
  echo "$spool is not a filesystem of its own: refusing to fill the host's disk" >&2
  exit 1
fi
case "${1:-inject}" in
  inject)
    # dd stops at ENOSPC: that is the point, so its exit status is not.
    dd if=/dev/zero of="$dump" bs=1M status=none 2>/dev/null || true
    chown postfix:postfix "$dump"
    echo "$dump fills $spool: $(df -h --output=avail "$spool" | tail -n 1 | tr -d ' ') left" ;;
  clear)
    rm -f "$dump"
    postqueue -f 2>/dev/null || true
    echo "$dump removed: $(df -h --output=avail "$spool" | tail -n 1 | tr -d ' ') free" ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
