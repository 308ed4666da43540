#!/usr/bin/env bash
# service: mail
# Scripted answer: the course's §15 row "Ajouter mail.client2.tld": issue its own certificate with acme.sh (dns_cf
# finds the client2.tld zone by name once the domaine.tld CF_Zone_ID is dropped), then deploy it under the exact SNI
# name with --install-cert, leaving the panel fallback (the domaine.tld wildcard) alone.
set -euo pipefail
. /etc/lab/cloudflare.env
unset CF_Zone_ID
acme.sh --issue -d mail.client2.tld --dns dns_cf --keylength ec-256
acme.sh --install-cert -d mail.client2.tld --ecc \
  --fullchain-file /usr/local/hestia/ssl/mail/mail.client2.tld.crt \
  --key-file /usr/local/hestia/ssl/mail/mail.client2.tld.key \
  --reloadcmd "chown root:Debian-exim /usr/local/hestia/ssl/mail/mail.client2.tld.key; chmod 640 /usr/local/hestia/ssl/mail/mail.client2.tld.key; systemctl reload exim4"
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
