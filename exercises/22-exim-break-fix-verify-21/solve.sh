#!/usr/bin/env bash
# service: mail
# Fix: deploy the full chain (leaf + intermediate), as the table says: "Utiliser fullchain en déploiement".
set -euo pipefail
src=/root/.acme.sh/domaine.tld_ecc
d=/usr/local/hestia/ssl
install -m 644 -o root -g root "$src/fullchain.cer" "$d/mail/mail.domaine.tld.crt"
install -m 644 -o root -g root "$src/fullchain.cer" "$d/certificate.crt"
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
