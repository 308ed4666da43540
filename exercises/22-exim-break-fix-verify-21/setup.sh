#!/usr/bin/env bash
# service: mail
# Start state (row "Erreur verify code 21"): the leaf alone (acme.sh's domaine.tld.cer, i.e. --cert-file instead of
# --fullchain-file) deployed as the SNI certificate and as the fallback; the intermediate is never sent.
set -euo pipefail
src=/root/.acme.sh/domaine.tld_ecc
d=/usr/local/hestia/ssl
install -m 644 -o root -g root "$src/domaine.tld.cer" "$d/mail/mail.domaine.tld.crt"
install -m 640 -o root -g Debian-exim "$src/domaine.tld.key" "$d/mail/mail.domaine.tld.key"
install -m 644 -o root -g root "$src/domaine.tld.cer" "$d/certificate.crt"
install -m 640 -o root -g Debian-exim "$src/domaine.tld.key" "$d/certificate.key"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
