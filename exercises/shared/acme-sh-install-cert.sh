#!/usr/bin/env bash
# service: mail
# Deploys an acme.sh certificate into HestiaCP's paths the way guide 000 §8.1 does: `acme.sh --install-cert` with the
# full chain and key in /usr/local/hestia/ssl/mail/SNI.{crt,key}, and a --reloadcmd that sets the key's owner and
# mode and reloads Exim (and, with "fallback", also fills the panel's certificate.{crt,key}). acme.sh keeps the
# reloadcmd, so every later renewal deploys again.
# usage: acme-sh-install-cert.sh CERT_NAME SNI_NAME [fallback]
set -euo pipefail
cert=${1:?usage: acme-sh-install-cert.sh CERT_NAME SNI_NAME [fallback]}
sni=${2:?usage: acme-sh-install-cert.sh CERT_NAME SNI_NAME [fallback]}
m=/usr/local/hestia/ssl/mail
reload="chown root:Debian-exim $m/$sni.key; chmod 640 $m/$sni.key; chmod 644 $m/$sni.crt;"
if [ "${3:-}" = fallback ]; then
  reload="$reload cp $m/$sni.crt /usr/local/hestia/ssl/certificate.crt; cp $m/$sni.key /usr/local/hestia/ssl/certificate.key;"
  reload="$reload chown root:Debian-exim /usr/local/hestia/ssl/certificate.key; chmod 640 /usr/local/hestia/ssl/certificate.key;"
  reload="$reload chmod 644 /usr/local/hestia/ssl/certificate.crt;"
fi
reload="$reload systemctl reload exim4"
acme.sh --install-cert -d "$cert" --ecc --fullchain-file "$m/$sni.crt" --key-file "$m/$sni.key" --reloadcmd "$reload" \
  >/var/log/lab-acme-sh-install-"$sni".log 2>&1 || { cat /var/log/lab-acme-sh-install-"$sni".log >&2; exit 1; }
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
