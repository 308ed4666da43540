#!/usr/bin/env bash
# service: mail
# Start state: a server "almost ready": acme.sh on the host holds the wildcard (issued by the previous step), someone
# copied domaine.tld.cer (leaf only) and the key (644, world-readable) by hand and left a smtp.domaine.tld.crt without its key; the panel's
# self-signed fallback is still there, AUTH is offered in clear, and there is no deploy hook and no expiry monitoring.
set -euo pipefail
rm -f /usr/local/bin/deploy-mail-cert.sh /usr/local/bin/check-cert-expiry /etc/cron.d/check-cert-expiry /etc/cron.d/cert-expiry
d=/root/.acme.sh/domaine.tld_ecc
test -s $d/fullchain.cer
cp $d/domaine.tld.cer /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
cp $d/domaine.tld.key /usr/local/hestia/ssl/mail/mail.domaine.tld.key
chmod 644 /usr/local/hestia/ssl/mail/mail.domaine.tld.key
# A leftover of an earlier attempt: a certificate without its key, so Exim pairs it with the fallback key.
cp $d/fullchain.cer /usr/local/hestia/ssl/mail/smtp.domaine.tld.crt
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
