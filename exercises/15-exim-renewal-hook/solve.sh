#!/usr/bin/env bash
# service: mail
# Scripted answer: the course's single deploy hook (§8.2/§19.4), run by certbot after every successful renewal
# (certbot's equivalent of acme.sh --install-cert … --reloadcmd).
set -euo pipefail
cat > /usr/local/bin/deploy-mail-cert.sh <<'SH'
#!/usr/bin/env bash
# Copies a renewed certificate into the Hestia paths Exim reads, then reloads Exim.
set -euo pipefail
FQDN="${1:-mail.domaine.tld}"
LINEAGE="${RENEWED_LINEAGE:-/etc/letsencrypt/live/domaine.tld}"
MAIL_DIR=/usr/local/hestia/ssl/mail
install -m 644 -o root -g root "$LINEAGE/fullchain.pem" "$MAIL_DIR/$FQDN.crt"
install -m 640 -o root -g Debian-exim "$LINEAGE/privkey.pem" "$MAIL_DIR/$FQDN.key"
install -m 644 -o root -g root "$LINEAGE/fullchain.pem" /usr/local/hestia/ssl/certificate.crt
install -m 640 -o root -g Debian-exim "$LINEAGE/privkey.pem" /usr/local/hestia/ssl/certificate.key
systemctl reload exim4
logger -t deploy-mail-cert "deployed $LINEAGE for $FQDN" 2>/dev/null || true
SH
chmod 755 /usr/local/bin/deploy-mail-cert.sh
mkdir -p /etc/letsencrypt/renewal-hooks/deploy
cat > /etc/letsencrypt/renewal-hooks/deploy/exim-hestia.sh <<'SH'
#!/bin/sh
exec /usr/local/bin/deploy-mail-cert.sh mail.domaine.tld
SH
chmod 755 /etc/letsencrypt/renewal-hooks/deploy/exim-hestia.sh
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
