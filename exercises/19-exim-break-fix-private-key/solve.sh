#!/usr/bin/env bash
# service: mail
# Fix: the table's "chown root:Debian-exim, chmod 640, vérifier BEGIN PRIVATE KEY": the right file, the right rights.
set -euo pipefail
d=/usr/local/hestia/ssl
chown root:Debian-exim "$d/mail/mail.domaine.tld.key"; chmod 640 "$d/mail/mail.domaine.tld.key"
install -m 640 -o root -g Debian-exim /root/.acme.sh/domaine.tld_ecc/domaine.tld.key "$d/certificate.key"
systemctl reload exim4
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
