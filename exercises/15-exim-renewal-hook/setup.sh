#!/usr/bin/env bash
# service: mail
# Start state: acme.sh on the mail host holds the domaine.tld wildcard (issued by the previous step), copied once by
# hand into the Hestia paths; no --install-cert, so no --reloadcmd: a renewal never reaches the files Exim reads.
set -euo pipefail
rm -f /usr/local/bin/deploy-mail-cert.sh
d=/root/.acme.sh/domaine.tld_ecc
test -s $d/fullchain.cer
if grep -q '^Le_ReloadCmd=.' $d/domaine.tld.conf; then echo 'a reloadcmd is already set' >&2; exit 1; fi
ssl=/usr/local/hestia/ssl
install -m 644 -o root -g root $d/fullchain.cer "$ssl/mail/mail.domaine.tld.crt"
install -m 640 -o root -g Debian-exim $d/domaine.tld.key "$ssl/mail/mail.domaine.tld.key"
install -m 644 -o root -g root $d/fullchain.cer "$ssl/certificate.crt"
install -m 640 -o root -g Debian-exim $d/domaine.tld.key "$ssl/certificate.key"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
