#!/usr/bin/env bash
# service: mail
# Start state (row "Self-signed toujours présenté — fichiers personnalisés absents / non lisibles"): the wildcard and
# mail.client2.tld's certificate are deployed under the right names with the right modes, but a "hardening" closed
# /usr/local/hestia/ssl/mail/ to everyone but root (700). Exim evaluates the SNI expression's exists{} as Debian-exim,
# so it sees no file and every name silently gets the panel's self-signed fallback, which is still in place.
set -euo pipefail
m=/usr/local/hestia/ssl/mail
rm -f "$m"/*.crt "$m"/*.key
install -m 644 -o root -g root /root/.acme.sh/domaine.tld_ecc/fullchain.cer "$m/mail.domaine.tld.crt"
install -m 640 -o root -g Debian-exim /root/.acme.sh/domaine.tld_ecc/domaine.tld.key "$m/mail.domaine.tld.key"
install -m 644 -o root -g root /root/.acme.sh/mail.client2.tld_ecc/fullchain.cer "$m/mail.client2.tld.crt"
install -m 640 -o root -g Debian-exim /root/.acme.sh/mail.client2.tld_ecc/mail.client2.tld.key "$m/mail.client2.tld.key"
# The panel's self-signed fallback, as HestiaCP's installer makes it (again, if an earlier exercise replaced it).
if ! openssl x509 -in /usr/local/hestia/ssl/certificate.crt -noout -issuer 2>/dev/null | grep -q 'Hestia Control Panel'; then
  openssl req -new -x509 -newkey rsa:2048 -nodes -days 365 \
    -subj "/C=US/ST=California/L=San Francisco/O=Hestia Control Panel/OU=IT/CN=$(hostname -f)" \
    -addext "subjectAltName=DNS:$(hostname -f)" \
    -keyout /usr/local/hestia/ssl/certificate.key -out /usr/local/hestia/ssl/certificate.crt 2>/dev/null
  chown root:mail /usr/local/hestia/ssl/certificate.crt /usr/local/hestia/ssl/certificate.key
  chmod 660 /usr/local/hestia/ssl/certificate.crt /usr/local/hestia/ssl/certificate.key
fi
chown root:root "$m"
chmod 700 "$m"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
