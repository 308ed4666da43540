#!/usr/bin/env bash
# service: mail
# Fix: the file takes the name clients send in SNI (mail.domaine.tld), and the self-signed fallback is replaced too.
set -euo pipefail
d=/usr/local/hestia/ssl
mv "$d/mail/domaine.tld.crt" "$d/mail/mail.domaine.tld.crt"
mv "$d/mail/domaine.tld.key" "$d/mail/mail.domaine.tld.key"
install -m 644 -o root -g root "$d/mail/mail.domaine.tld.crt" "$d/certificate.crt"
install -m 640 -o root -g Debian-exim "$d/mail/mail.domaine.tld.key" "$d/certificate.key"
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
