#!/usr/bin/env bash
# service: mail
# Checklist items 2-4 and 9: the guide's deploy script (§8.2: full chain, key 640 root:Debian-exim, fallback replaced,
# reload), wired to acme.sh with --install-cert … --reloadcmd, which runs it now and after every renewal.
set -euo pipefail
cat > /usr/local/bin/deploy-mail-cert.sh <<'SH'
#!/usr/bin/env bash
set -euo pipefail
FQDN="$1" # ex: mail.domaine.tld
CRT_SRC="$2" # fullchain source
KEY_SRC="$3"
MAIL_DIR="/usr/local/hestia/ssl/mail"
mkdir -p "$MAIL_DIR"
cp "$CRT_SRC" "$MAIL_DIR/$FQDN.crt"
cp "$KEY_SRC" "$MAIL_DIR/$FQDN.key"
chown root:Debian-exim "$MAIL_DIR/$FQDN.key"
chmod 640 "$MAIL_DIR/$FQDN.key"; chmod 644 "$MAIL_DIR/$FQDN.crt"
# Met à jour fallback (optionnel)
cp "$CRT_SRC" /usr/local/hestia/ssl/certificate.crt
cp "$KEY_SRC" /usr/local/hestia/ssl/certificate.key
chown root:Debian-exim /usr/local/hestia/ssl/certificate.key
chmod 640 /usr/local/hestia/ssl/certificate.key; chmod 644 /usr/local/hestia/ssl/certificate.crt
systemctl reload exim4
SH
chmod +x /usr/local/bin/deploy-mail-cert.sh
acme.sh --install-cert -d domaine.tld --ecc \
--fullchain-file /tmp/fullchain.pem \
--key-file /tmp/priv.key \
--reloadcmd "/usr/local/bin/deploy-mail-cert.sh mail.domaine.tld /tmp/fullchain.pem /tmp/priv.key"
