#!/usr/bin/env bash
# service: mail
# Fix: "Créer mail.nvdom.tld.crt/.key + reload": the exact FQDN as file name.
set -euo pipefail
d=/usr/local/hestia/ssl/mail
mv "$d/example.com.crt" "$d/mail.example.com.crt"
mv "$d/example.com.key" "$d/mail.example.com.key"
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
