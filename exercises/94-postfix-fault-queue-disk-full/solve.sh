#!/usr/bin/env bash
# service: mail
# Scripted answer: the log names the cause; here the "full disk" is a queue_minfree above the free space, so the fix
# is Postfix's default (0: only the 1.5 × message_size_limit rule). On a really full disk: free space instead.
set -euo pipefail
postconf -e 'queue_minfree = 0'
postfix check
systemctl reload postfix >/dev/null
