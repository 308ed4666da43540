#!/usr/bin/env bash
# service: mail
# Scripted answer: opportunistic TLS by default, the course's per-domain policy map, the partners' CA for verify.
set -euo pipefail
test -s /etc/postfix/partners-ca.pem
cat > /etc/postfix/tls_policy <<'MAP'
# Format: domaine niveau
secure-partner.com     encrypt
banking-partner.com    verify
old-system.com         none
MAP
postmap /etc/postfix/tls_policy
postconf -e \
  'smtp_tls_security_level = may' \
  'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy' \
  'smtp_tls_CAfile = /etc/postfix/partners-ca.pem' \
  'smtp_tls_loglevel = 1'
postfix check
systemctl reload postfix >/dev/null
