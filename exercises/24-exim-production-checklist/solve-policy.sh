#!/usr/bin/env bash
# service: mail
# Checklist items 5-7 and 11: ports as the course lists them, AUTH hidden before TLS, TLS 1.2+ with a GnuTLS priority string;
# then a clean restart so the logs start afresh.
set -euo pipefail
# Item 11: the log names smtp.domaine.tld.crt, a certificate without its key (Exim pairs it with certificate.key):
# give it its own key, a file a submission can carry (a deletion it cannot). Both from the live lineage at once: a
# renewal since the setup has changed the key.
install -m 644 -o root -g root /root/.acme.sh/domaine.tld_ecc/fullchain.cer /usr/local/hestia/ssl/mail/smtp.domaine.tld.crt
install -m 640 -o root -g Debian-exim /root/.acme.sh/domaine.tld_ecc/domaine.tld.key /usr/local/hestia/ssl/mail/smtp.domaine.tld.key
tpl=/etc/exim4/exim4.conf.template
sed -i -E '/^\s*(auth_advertise_hosts|tls_require_ciphers)\s*=/d' "$tpl"
sed -i -E 's/^daemon_smtp_ports = .*/daemon_smtp_ports = 25 : 587 : 465/; s/^tls_on_connect_ports = .*/tls_on_connect_ports = 465/' "$tpl"
sed -i '/^tls_advertise_hosts = /a\
auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}\
tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305' "$tpl"
systemctl restart exim4 >/dev/null
for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
