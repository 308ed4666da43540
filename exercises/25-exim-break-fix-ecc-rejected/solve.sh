#!/usr/bin/env bash
# service: mail
# Scripted answer = the hints' run scripts (manifest.ts ISSUE_RSA then SERVE_BOTH): issue the RSA twin of the
# wildcard, deploy it beside the ECDSA files (SNI name and fallback), and serve both as parallel Exim lists.
set -euo pipefail
acme.sh --issue -d domaine.tld -d '*.domaine.tld' --dns dns_cf --keylength 2048 --dnssleep 1
ls ~/.acme.sh/domaine.tld/
openssl x509 -in ~/.acme.sh/domaine.tld/domaine.tld.cer -noout -subject -ext subjectAltName | grep -E 'subject|DNS'
openssl x509 -in ~/.acme.sh/domaine.tld/domaine.tld.cer -noout -text | grep 'Public Key Algorithm'

m=/usr/local/hestia/ssl/mail
acme.sh --install-cert -d domaine.tld \
  --fullchain-file $m/mail.domaine.tld.rsa.crt --key-file $m/mail.domaine.tld.rsa.key \
  --reloadcmd "chown root:Debian-exim $m/mail.domaine.tld.rsa.key; chmod 640 $m/mail.domaine.tld.rsa.key; \
cp $m/mail.domaine.tld.rsa.crt /usr/local/hestia/ssl/certificate.rsa.crt; \
cp $m/mail.domaine.tld.rsa.key /usr/local/hestia/ssl/certificate.rsa.key; \
chown root:Debian-exim /usr/local/hestia/ssl/certificate.rsa.key; chmod 640 /usr/local/hestia/ssl/certificate.rsa.key; \
systemctl reload exim4"
cat > /root/tls-dual.conf <<'EOF'
tls_certificate = \
  ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.crt}{/usr/local/hestia/ssl/mail/${tls_in_sni}.crt}{/usr/local/hestia/ssl/certificate.crt}} : \
  ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.rsa.crt}{/usr/local/hestia/ssl/mail/${tls_in_sni}.rsa.crt}{/usr/local/hestia/ssl/certificate.rsa.crt}}
tls_privatekey = \
  ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.key}{/usr/local/hestia/ssl/mail/${tls_in_sni}.key}{/usr/local/hestia/ssl/certificate.key}} : \
  ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.rsa.key}{/usr/local/hestia/ssl/mail/${tls_in_sni}.rsa.key}{/usr/local/hestia/ssl/certificate.rsa.key}}
EOF
sed -i -e '/^tls_privatekey = /r /root/tls-dual.conf' -e '/^tls_certificate = /d' -e '/^tls_privatekey = /d' /etc/exim4/exim4.conf.template
systemctl reload exim4
sleep 1; lab-listening 25 465 587
exim -bP tls_certificate tls_privatekey
