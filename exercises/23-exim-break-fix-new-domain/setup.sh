#!/usr/bin/env bash
# service: mail
# Start state (row "Nouveau domaine non chiffré"): a new hosted domain, example.com, whose mail.example.com certificate
# was deployed under the domain's name (example.com.crt) rather than the exact host name clients ask for.
set -euo pipefail
src=/root/.acme.sh/mail.example.com_ecc
d=/usr/local/hestia/ssl/mail
rm -f "$d"/mail.example.com.*
install -m 644 -o root -g root "$src/fullchain.cer" "$d/example.com.crt"
install -m 640 -o root -g Debian-exim "$src/mail.example.com.key" "$d/example.com.key"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
