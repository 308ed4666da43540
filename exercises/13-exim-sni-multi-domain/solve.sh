#!/usr/bin/env bash
# service: mail
# Scripted answer: the course's §15 row "Ajouter mail.client2.tld": deploy its own pair under the exact SNI name,
# leaving the panel fallback (the domaine.tld wildcard) alone.
set -euo pipefail
src=/root/.acme.sh/mail.client2.tld_ecc
dst=/usr/local/hestia/ssl/mail
install -m 644 -o root -g root "$src/fullchain.cer" "$dst/mail.client2.tld.crt"
install -m 640 -o root -g Debian-exim "$src/mail.client2.tld.key" "$dst/mail.client2.tld.key"
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
