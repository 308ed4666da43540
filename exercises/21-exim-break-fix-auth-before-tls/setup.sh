#!/usr/bin/env bash
# service: mail
# Start state (row "AUTH visible avant TLS"): the course's override was written to conf.d/main/40_local_auth_tls.conf,
# which the non-split HestiaCP configuration never reads, so AUTH is still offered in clear text.
set -euo pipefail
mkdir -p /etc/exim4/conf.d/main
cat > /etc/exim4/conf.d/main/40_local_auth_tls.conf <<'M'
auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}
M
update-exim4.conf
systemctl reload exim4 >/dev/null
! grep -q '^auth_advertise_hosts' /etc/exim4/exim4.conf.template
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
