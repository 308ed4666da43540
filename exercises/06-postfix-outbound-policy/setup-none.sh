#!/usr/bin/env bash
# service: mail
# Start state: outbound TLS switched off for every destination, no per-domain policy.
set -euo pipefail
postconf -e 'smtp_tls_security_level = none' 'smtp_tls_loglevel = 1'
postconf -X smtp_tls_policy_maps smtp_tls_CAfile 2>/dev/null || true
rm -f /etc/postfix/tls_policy /etc/postfix/tls_policy.db
postfix check
systemctl reload postfix >/dev/null
