#!/usr/bin/env bash
# service: mail
# Start state (row "Cannot load private key"): the SNI key was copied with certbot's private permissions
# (600 root:root: Exim, running as Debian-exim, cannot read it), and the fallback .key holds the certificate instead
# of the key (wrong file copied).
set -euo pipefail
d=/usr/local/hestia/ssl
chown root:root "$d/mail/mail.domaine.tld.key"
chmod 600 "$d/mail/mail.domaine.tld.key"
cp /root/.acme.sh/domaine.tld_ecc/domaine.tld.cer "$d/certificate.key"
chown root:Debian-exim "$d/certificate.key"; chmod 640 "$d/certificate.key"
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
