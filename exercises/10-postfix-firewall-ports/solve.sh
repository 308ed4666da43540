#!/usr/bin/env bash
# service: mail
# Scripted answer: the document's ufw commands, with the default policy they rely on said out loud.
set -euo pipefail
ufw default deny incoming >/dev/null
ufw default allow outgoing >/dev/null
ufw allow 25/tcp >/dev/null
ufw allow 587/tcp >/dev/null
ufw allow 465/tcp >/dev/null
ufw --force enable >/dev/null
ufw status | grep -q 'Status: active'
