#!/usr/bin/env bash
# service: mail
# Start state: certbot on the mail host (the lab's stand-in for acme.sh) holds the domaine.tld wildcard, copied once
# by hand into the Hestia paths; no deploy hook, so a renewal never reaches the files Exim reads.
set -euo pipefail
# The image makes the mail host an ACME client of the lab (certbot, /etc/lab/rfc2136.ini, lab CAs trusted).
command -v certbot >/dev/null && test -s /etc/lab/rfc2136.ini || { echo 'the mail host lacks certbot or /etc/lab/rfc2136.ini (exim image)' >&2; exit 1; }
rm -f /etc/letsencrypt/renewal-hooks/deploy/* /usr/local/bin/deploy-mail-cert.sh
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
  --server https://acme.lab.test:14000/dir \
  --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini --dns-rfc2136-propagation-seconds 1 \
  --key-type ecdsa --elliptic-curve secp256r1 \
  --cert-name domaine.tld -d domaine.tld -d '*.domaine.tld' >/var/log/lab-certbot-setup.log 2>&1 \
  || { cat /var/log/lab-certbot-setup.log >&2; exit 1; }
live=/etc/letsencrypt/live/domaine.tld
ssl=/usr/local/hestia/ssl
install -m 644 -o root -g root "$live/fullchain.pem" "$ssl/mail/mail.domaine.tld.crt"
install -m 640 -o root -g Debian-exim "$live/privkey.pem" "$ssl/mail/mail.domaine.tld.key"
install -m 644 -o root -g root "$live/fullchain.pem" "$ssl/certificate.crt"
install -m 640 -o root -g Debian-exim "$live/privkey.pem" "$ssl/certificate.key"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
