#!/usr/bin/env bash
# service: mail
# Scripted answer: find the biggest file of the queue's filesystem (a core dump, not a queue file), delete it, and
# let Postfix retry what waited.
set -euo pipefail
du -ah --max-depth=1 /var/spool/postfix | sort -h | tail -n 3
rm -f /var/spool/postfix/core.*
postqueue -f
df -h /var/spool/postfix
