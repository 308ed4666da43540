#!/usr/bin/env bash
# service: mail
# Scripted answer: a new certificate where Postfix reads it, then a reload. Here the served pair is Debian's snakeoil,
# so make-ssl-cert remakes it; a Let's Encrypt certificate would be `certbot renew --force-renewal` instead.
set -euo pipefail
test "$(postconf -h smtpd_tls_cert_file)" = /etc/ssl/certs/ssl-cert-snakeoil.pem
make-ssl-cert generate-default-snakeoil --force-overwrite
openssl x509 -in /etc/ssl/certs/ssl-cert-snakeoil.pem -noout -checkend 86400
systemctl reload postfix >/dev/null
