#!/usr/bin/env bash
# service: mail
# Start state: the Pebble certificate is on disk but main.cf still names Debian's snakeoil one,
# and an inherited cipher list lowers OpenSSL's security level so TLS 1.0 and 1.1 are accepted.
set -euo pipefail
test -s /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem
postconf -e 'tls_medium_cipherlist = DEFAULT:@SECLEVEL=0'
postconf -X smtpd_tls_protocols smtpd_tls_mandatory_protocols 2>/dev/null || true
postfix check
systemctl reload postfix >/dev/null
