#!/usr/bin/env bash
# service: mail
# Fix: open the SNI folder again to Exim (755, its mode when the panel is installed), and replace the self-signed
# fallback with the wildcard for clients that send no SNI (the course's FAQ).
set -euo pipefail
chmod 755 /usr/local/hestia/ssl/mail
install -m 644 -o root -g root /root/.acme.sh/domaine.tld_ecc/fullchain.cer /usr/local/hestia/ssl/certificate.crt
install -m 640 -o root -g Debian-exim /root/.acme.sh/domaine.tld_ecc/domaine.tld.key /usr/local/hestia/ssl/certificate.key
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
