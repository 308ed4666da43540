#!/usr/bin/env bash
# service: mail
# Scripted answer (MTA-STS): the Debian resolver daemon answers Postfix's policy lookups over a socketmap.
set -euo pipefail
systemctl restart postfix-mta-sts-resolver >/dev/null
for _ in $(seq 1 40); do
  grep -q '0100007F:210D 00000000:0000 0A' /proc/net/tcp && break   # 127.0.0.1:8461 listening
  sleep 0.25
done
postconf -e 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix'
postfix check
systemctl reload postfix >/dev/null
# The partner's policy, as Postfix will see it: "secure match=mx.orders.secure-partner.com …".
postmap -q orders.secure-partner.com socketmap:inet:127.0.0.1:8461:postfix | grep -q '^secure'
