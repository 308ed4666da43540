#!/usr/bin/env bash
# service: mail
# Scripted answer: the course's deploy script (§8.2) written to /usr/local/bin/deploy-mail-cert.sh, then wired to the
# certificate of exercise 1 with the guide's `acme.sh --install-cert … --reloadcmd`, which runs it at once.
set -euo pipefail
cat > /usr/local/bin/deploy-mail-cert.sh <<'SH'
#!/usr/bin/env bash
set -euo pipefail
FQDN="$1"      # ex: mail.domaine.tld
CRT_SRC="$2"   # fullchain source
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
chown root:root /usr/local/hestia/ssl/certificate.crt
chmod 640 /usr/local/hestia/ssl/certificate.key; chmod 644 /usr/local/hestia/ssl/certificate.crt
systemctl reload exim4
SH
chmod +x /usr/local/bin/deploy-mail-cert.sh
# §8.2 "Installer": acme.sh copies the files, runs the reloadcmd now, and keeps it for every renewal.
acme.sh --install-cert -d domaine.tld --ecc \
--fullchain-file /tmp/fullchain.pem \
--key-file /tmp/priv.key \
--reloadcmd "/usr/local/bin/deploy-mail-cert.sh mail.domaine.tld /tmp/fullchain.pem /tmp/priv.key"
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
