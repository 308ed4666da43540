#!/bin/sh
# Entrypoint of the exim role: makes HestiaCP's self-signed fallback certificate if missing, starts Dovecot and Exim.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SESSION=%s\nLAB_LAB=%s\nLAB_SUBNET=%s\nLAB_DNS_IP=%s\n' "${LAB_SESSION:-}" "${LAB_LAB:-}" "$LAB_SUBNET" "${LAB_DNS_IP:-$LAB_SUBNET.10}" > /etc/lab/env
ssl=/usr/local/hestia/ssl
if [ ! -s $ssl/certificate.crt ] || [ ! -s $ssl/certificate.key ]; then
  host=$(hostname -f 2>/dev/null || hostname)
  cp /usr/local/share/smtp-tls-lab/fallback.key $ssl/certificate.key
  openssl req -new -x509 -key $ssl/certificate.key -out $ssl/certificate.crt -days 365 \
    -subj "/C=US/ST=California/L=San Francisco/O=Hestia Control Panel/OU=IT/CN=$host" \
    -addext "subjectAltName=DNS:$host" 2>/dev/null
  # As the panel's installer leaves them: readable by the mail group, which Exim belongs to.
  chown root:mail $ssl/certificate.crt $ssl/certificate.key
  chmod 660 $ssl/certificate.crt $ssl/certificate.key
fi
# Non-fatal: the mail service must come up even if the ACME client setup cannot.
/usr/local/bin/lab-acme-client || echo 'lab-acme-client failed: certbot will lack lab credentials' >&2
# A container restarted after a reboot or a Docker restart, or started from a snapshot, keeps the pid files of
# daemons that no longer run: Dovecot refuses to start when such a pid now belongs to another process.
find /run /var/run /var/spool/postfix/pid -maxdepth 2 -name '*.pid' -type f -delete 2>/dev/null || true
/etc/init.d/dovecot start
/etc/init.d/exim4 start
exec sleep infinity
