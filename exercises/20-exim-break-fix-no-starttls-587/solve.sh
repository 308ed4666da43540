#!/usr/bin/env bash
# service: mail
# Fix: define the macro where Exim reads it, in the one template (or set tls_advertise_hosts = * directly).
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
sed -i 's/^MAIN_TLS_ADVERTISE_HOSTS =$/MAIN_TLS_ADVERTISE_HOSTS = */' "$tpl"
systemctl restart exim4 >/dev/null
exim -bP tls_advertise_hosts
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 25 465 587
