#!/usr/bin/env bash
# service: mail
# Fix: give the expression a fallback to land on: the wildcard as certificate.{crt,key}, full chain, key 640 root:Debian-exim.
set -euo pipefail
src=/root/.acme.sh/domaine.tld_ecc
install -m 644 -o root -g root "$src/fullchain.cer" /usr/local/hestia/ssl/certificate.crt
install -m 640 -o root -g Debian-exim "$src/domaine.tld.key" /usr/local/hestia/ssl/certificate.key
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
