#!/usr/bin/env bash
# service: mail
# Start state (row "AUTH visible avant TLS"): the course's override (§9) was typed from memory into the template Exim
# reads, with its two branches swapped: AUTH is offered while there is no TLS, and hidden once TLS is up (after
# STARTTLS on 587, and on 465), so users cannot authenticate where they should and an audit sees AUTH in clear text.
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
sed -i -E '/^\s*auth_advertise_hosts\s*=/d' "$tpl"
sed -i '/^tls_advertise_hosts = /a\
auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{*}{}}' "$tpl"
grep -q '^auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{\*}{}}$' "$tpl"
systemctl restart exim4 >/dev/null
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 25 465 587
