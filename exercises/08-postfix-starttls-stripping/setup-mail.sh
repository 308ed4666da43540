#!/usr/bin/env bash
# service: mail
# Start state, sender side: Debian's default opportunistic TLS (may), no MTA-STS resolver, no DANE. The partners CA
# plays the public CAs of the lab's world: it is in the system trust store, which Postfix reads as one file.
set -euo pipefail
. /etc/lab/env
curl -fsS --max-time 10 -o /usr/local/share/ca-certificates/lab-partners.crt "http://$LAB_SUBNET.40:8080/ca.pem"
update-ca-certificates >/dev/null 2>&1
systemctl stop postfix-mta-sts-resolver >/dev/null 2>&1 || true
postconf -e 'smtp_tls_security_level = may' 'smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt' 'smtp_tls_loglevel = 1'
postconf -X smtp_tls_policy_maps smtp_dns_support_level 2>/dev/null || true
postfix check
systemctl reload postfix >/dev/null
