#!/usr/bin/env bash
# service: mail
# Scripted answer: §9 (AUTH hidden before TLS) and §11.1/§19.5 (protocols and ciphers) written in the one template
# HestiaCP's Exim reads, with the cipher policy in GnuTLS priority syntax, since Debian's Exim is built with GnuTLS.
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
sed -i -E '/^\s*(auth_advertise_hosts|tls_require_ciphers)\s*=/d' "$tpl"
# After tls_advertise_hosts: still in the main section, before "begin acl".
sed -i '/^tls_advertise_hosts = /a\
auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}\
tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305' "$tpl"
systemctl restart exim4 >/dev/null
exim -bP auth_advertise_hosts tls_require_ciphers
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done
lab-listening 25 465 587
