#!/usr/bin/env bash
# service: mail
# Fix: swap the branches back: empty list (no AUTH) while $tls_in_cipher is empty, every host (*) once TLS is up.
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
sed -i 's/^auth_advertise_hosts = .*/auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}/' "$tpl"
systemctl restart exim4 >/dev/null
exim -bP auth_advertise_hosts
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 25 465 587
