#!/usr/bin/env bash
# service: mail
# Fix: the same line, in the main section of the template Exim actually reads.
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
sed -i '/^auth_advertise_hosts/d' "$tpl"
sed -i '/^tls_advertise_hosts = /a\
auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}' "$tpl"
systemctl restart exim4 >/dev/null
exim -bP auth_advertise_hosts
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 25 465 587
