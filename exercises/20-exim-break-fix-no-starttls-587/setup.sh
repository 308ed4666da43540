#!/usr/bin/env bash
# service: mail
# Start state (row "Pas de STARTTLS sur 587"): the template takes tls_advertise_hosts from Debian's macro, empty unless
# defined; the course's fix (a macro file in conf.d + update-exim4.conf) has been tried and changed nothing, because
# HestiaCP's configuration is not split.
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
sed -i -E 's/^tls_advertise_hosts = .*/.ifndef MAIN_TLS_ADVERTISE_HOSTS\nMAIN_TLS_ADVERTISE_HOSTS =\n.endif\ntls_advertise_hosts = MAIN_TLS_ADVERTISE_HOSTS/' "$tpl"
grep -q '^tls_advertise_hosts = MAIN_TLS_ADVERTISE_HOSTS' "$tpl"
mkdir -p /etc/exim4/conf.d/main
cat > /etc/exim4/conf.d/main/01_local_tls_macros <<'M'
MAIN_TLS_ENABLE = yes
MAIN_TLS_ADVERTISE_HOSTS = *
daemon_smtp_ports = 25 : 587 : 465
tls_on_connect_ports = 465
M
update-exim4.conf
systemctl restart exim4 >/dev/null
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 25 465 587
