#!/usr/bin/env bash
# service: mail
# Start state: Debian's defaults, nothing obtained yet (no /etc/postfix/ssl, Postfix on the snakeoil certificate).
set -euo pipefail
rm -rf /etc/postfix/ssl /etc/letsencrypt/live/mail.domaine.tld
postconf -h smtpd_tls_cert_file | grep -q snakeoil
