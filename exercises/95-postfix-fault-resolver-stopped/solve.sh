#!/usr/bin/env bash
# service: dns
# Scripted answer: start the lab's resolver again (on a real network: the host's resolver, or resolv.conf's).
set -euo pipefail
systemctl start named
for _ in $(seq 1 40); do /usr/local/bin/lab-healthy >/dev/null 2>&1 && exit 0; sleep 0.25; done
exit 1
