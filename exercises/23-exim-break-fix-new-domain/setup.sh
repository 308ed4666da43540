#!/usr/bin/env bash
# service: mail
# Start state (row "Nouveau domaine non chiffré"): a new hosted domain, example.com. Its mail.example.com certificate was
# issued and deployed under the exact SNI name, with the right modes, but by hand and with the wrong key: the
# domaine.tld key pasted from an earlier command. Every handshake that asks for mail.example.com fails; other names work.
set -euo pipefail
d=/usr/local/hestia/ssl/mail
rm -f "$d"/example.com.* "$d"/mail.example.com.*
install -m 644 -o root -g root /root/.acme.sh/mail.example.com_ecc/fullchain.cer "$d/mail.example.com.crt"
install -m 640 -o root -g Debian-exim /root/.acme.sh/domaine.tld_ecc/domaine.tld.key "$d/mail.example.com.key"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
