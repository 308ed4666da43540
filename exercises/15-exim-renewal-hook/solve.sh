#!/usr/bin/env bash
# service: mail
# Scripted answer: the guide's direct deployment (§8.1) as written: acme.sh --install-cert with the Hestia paths and
# the --reloadcmd that fixes the key's owner and mode, fills the fallback and reloads Exim. acme.sh runs it now and
# after every renewal, its daily cron's included.
set -euo pipefail
acme.sh --install-cert -d domaine.tld --ecc \
--fullchain-file /usr/local/hestia/ssl/mail/mail.domaine.tld.crt \
--key-file /usr/local/hestia/ssl/mail/mail.domaine.tld.key \
--reloadcmd "chown root:Debian-exim /usr/local/hestia/ssl/mail/mail.domaine.tld.key; \
chmod 640 /usr/local/hestia/ssl/mail/mail.domaine.tld.key; \
cp /usr/local/hestia/ssl/mail/mail.domaine.tld.crt /usr/local/hestia/ssl/certificate.crt; \
cp /usr/local/hestia/ssl/mail/mail.domaine.tld.key /usr/local/hestia/ssl/certificate.key; \
chown root:Debian-exim /usr/local/hestia/ssl/certificate.key; \
chmod 640 /usr/local/hestia/ssl/certificate.key; \
chmod 644 /usr/local/hestia/ssl/mail/mail.domaine.tld.crt /usr/local/hestia/ssl/certificate.crt; \
systemctl reload exim4"
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
