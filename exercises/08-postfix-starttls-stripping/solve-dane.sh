#!/usr/bin/env bash
# service: mail
# Scripted answer (DANE): DNSSEC-validated lookups and the dane level; the partner's TLSA does the rest.
set -euo pipefail
postconf -e 'smtp_dns_support_level = dnssec' 'smtp_tls_security_level = dane'
postfix check
systemctl reload postfix >/dev/null
