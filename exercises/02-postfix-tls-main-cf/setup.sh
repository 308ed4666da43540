#!/usr/bin/env bash
# service: mail
# Start state: the Pebble certificate is on disk (as certbot would leave it) but main.cf is Debian's:
# snakeoil certificate, and no protocol floor, so Postfix 3.7 still accepts TLS 1.0 and 1.1.
set -euo pipefail
test -s /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem
postconf -h smtpd_tls_cert_file | grep -q snakeoil
test -z "$(postconf -nh smtpd_tls_protocols)"
