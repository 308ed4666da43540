#!/usr/bin/env bash
# service: mail
# Start state: a server "almost ready": certbot on the host holds the wildcard, someone copied cert.pem (leaf only)
# and privkey.pem (644, world-readable) by hand and left a smtp.domaine.tld.crt without its key; the panel's
# self-signed fallback is still there, AUTH is offered in clear, and there is no deploy hook and no expiry monitoring.
set -euo pipefail
# The image makes the mail host an ACME client of the lab (certbot, /etc/lab/rfc2136.ini, lab CAs trusted).
command -v certbot >/dev/null && test -s /etc/lab/rfc2136.ini || { echo 'the mail host lacks certbot or /etc/lab/rfc2136.ini (exim image)' >&2; exit 1; }
rm -f /etc/letsencrypt/renewal-hooks/deploy/* /usr/local/bin/deploy-mail-cert.sh /usr/local/bin/check-cert-expiry /etc/cron.d/check-cert-expiry /etc/cron.d/cert-expiry
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
  --server https://acme.lab.test:14000/dir \
  --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini --dns-rfc2136-propagation-seconds 1 \
  --key-type ecdsa --elliptic-curve secp256r1 \
  --cert-name domaine.tld -d domaine.tld -d '*.domaine.tld' >/var/log/lab-certbot-setup.log 2>&1 \
  || { cat /var/log/lab-certbot-setup.log >&2; exit 1; }
cp /etc/letsencrypt/live/domaine.tld/cert.pem /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
cp /etc/letsencrypt/live/domaine.tld/privkey.pem /usr/local/hestia/ssl/mail/mail.domaine.tld.key
chmod 644 /usr/local/hestia/ssl/mail/mail.domaine.tld.key
# A leftover of an earlier attempt: a certificate without its key, so Exim pairs it with the fallback key.
cp /etc/letsencrypt/live/domaine.tld/fullchain.pem /usr/local/hestia/ssl/mail/smtp.domaine.tld.crt
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
