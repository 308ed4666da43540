#!/usr/bin/env bash
# service: mail
# Start state (row "Self-signed toujours présenté"): the wildcard was "deployed" under the certificate's own name
# (domaine.tld.crt) instead of the SNI name clients ask for, and the panel's self-signed fallback is still in place.
set -euo pipefail
src=/root/.acme.sh/domaine.tld_ecc
rm -f /usr/local/hestia/ssl/mail/*.crt /usr/local/hestia/ssl/mail/*.key
install -m 644 -o root -g root "$src/fullchain.cer" /usr/local/hestia/ssl/mail/domaine.tld.crt
install -m 640 -o root -g Debian-exim "$src/domaine.tld.key" /usr/local/hestia/ssl/mail/domaine.tld.key
# The panel's self-signed fallback, as HestiaCP's installer makes it (again, if an earlier exercise replaced it).
if ! openssl x509 -in /usr/local/hestia/ssl/certificate.crt -noout -issuer 2>/dev/null | grep -q 'Hestia Control Panel'; then
  openssl req -new -x509 -newkey rsa:2048 -nodes -days 365 \
    -subj "/C=US/ST=California/L=San Francisco/O=Hestia Control Panel/OU=IT/CN=$(hostname -f)" \
    -addext "subjectAltName=DNS:$(hostname -f)" \
    -keyout /usr/local/hestia/ssl/certificate.key -out /usr/local/hestia/ssl/certificate.crt 2>/dev/null
  chown root:mail /usr/local/hestia/ssl/certificate.crt /usr/local/hestia/ssl/certificate.key
  chmod 660 /usr/local/hestia/ssl/certificate.crt /usr/local/hestia/ssl/certificate.key
fi
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
