#!/usr/bin/env bash
# service: mail
# Checklist items 2-4 and 9: the deploy hook (full chain, key 640 root:Debian-exim, fallback replaced, reload),
# wired into certbot's renewal and run once now.
set -euo pipefail
cat > /usr/local/bin/deploy-mail-cert.sh <<'SH'
#!/usr/bin/env bash
# Copies a (renewed) certificate into the Hestia paths Exim reads, then reloads Exim.
set -euo pipefail
FQDN="${1:-mail.domaine.tld}"
LINEAGE="${RENEWED_LINEAGE:-/etc/letsencrypt/live/domaine.tld}"
MAIL_DIR=/usr/local/hestia/ssl/mail
install -m 644 -o root -g root "$LINEAGE/fullchain.pem" "$MAIL_DIR/$FQDN.crt"
install -m 640 -o root -g Debian-exim "$LINEAGE/privkey.pem" "$MAIL_DIR/$FQDN.key"
install -m 644 -o root -g root "$LINEAGE/fullchain.pem" /usr/local/hestia/ssl/certificate.crt
install -m 640 -o root -g Debian-exim "$LINEAGE/privkey.pem" /usr/local/hestia/ssl/certificate.key
systemctl reload exim4
SH
chmod 755 /usr/local/bin/deploy-mail-cert.sh
mkdir -p /etc/letsencrypt/renewal-hooks/deploy
printf '#!/bin/sh\nexec /usr/local/bin/deploy-mail-cert.sh mail.domaine.tld\n' > /etc/letsencrypt/renewal-hooks/deploy/exim-hestia.sh
chmod 755 /etc/letsencrypt/renewal-hooks/deploy/exim-hestia.sh
/usr/local/bin/deploy-mail-cert.sh mail.domaine.tld
