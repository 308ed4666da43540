#!/usr/bin/env bash
# service: mail
# Start state (troubleshooting row "ECC rejeté par le client"): where the Exim module leads, the acme.sh ECDSA P-256
# wildcard served for mail.domaine.tld and as the fallback, and nothing else. A client that verifies only RSA
# signatures gets alert 40 (handshake_failure) on every port; mainlog says "No supported cipher suites have been found".
set -euo pipefail
tpl=/etc/exim4/exim4.conf.template
# No RSA certificate anywhere yet: the learner issues it (course §5.5).
rm -rf /root/.acme.sh/domaine.tld
rm -f /usr/local/hestia/ssl/mail/*.rsa.crt /usr/local/hestia/ssl/mail/*.rsa.key /usr/local/hestia/ssl/certificate.rsa.*
# The lab's single-certificate expressions, as the image ships them (again, if a previous attempt changed them).
cat > /var/tmp/tls-single.conf <<'EOF'
tls_certificate = ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.crt}{/usr/local/hestia/ssl/mail/${tls_in_sni}.crt}{/usr/local/hestia/ssl/certificate.crt}}
tls_privatekey = ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.key}{/usr/local/hestia/ssl/mail/${tls_in_sni}.key}{/usr/local/hestia/ssl/certificate.key}}
EOF
# Replace each option, continuation lines (trailing backslash) included, by the stock pair, in place.
awk '
  skip && /\\[[:space:]]*$/ { next }
  skip { skip = 0; next }
  /^tls_(certificate|privatekey)[[:space:]]*=/ {
    if ($0 ~ /\\[[:space:]]*$/) skip = 1
    if ($0 ~ /^tls_certificate/) while ((getline l < "/var/tmp/tls-single.conf") > 0) print l
    next
  }
  { print }
' "$tpl" > "$tpl.new"
cat "$tpl.new" > "$tpl" && rm -f "$tpl.new" /var/tmp/tls-single.conf
test "$(grep -c '^tls_certificate = ' "$tpl")" = 1
# Both files Exim serves hold an ECDSA key (exercise 12's deployment).
for f in /usr/local/hestia/ssl/mail/mail.domaine.tld.crt /usr/local/hestia/ssl/certificate.crt; do
  openssl x509 -in "$f" -noout -text | grep -q 'id-ecPublicKey'
done
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
