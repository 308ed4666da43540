#!/usr/bin/env bash
# service: mail
# Fix: let acme.sh deploy mail.example.com's own pair (§8.1), so the certificate and its key always travel together,
# renewals included: --install-cert copies both and runs the reload command (owner and mode of the key, reload Exim).
set -euo pipefail
acme.sh --install-cert -d mail.example.com --ecc \
  --fullchain-file /usr/local/hestia/ssl/mail/mail.example.com.crt \
  --key-file /usr/local/hestia/ssl/mail/mail.example.com.key \
  --reloadcmd "chown root:Debian-exim /usr/local/hestia/ssl/mail/mail.example.com.key; chmod 640 /usr/local/hestia/ssl/mail/mail.example.com.key; systemctl reload exim4"
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
