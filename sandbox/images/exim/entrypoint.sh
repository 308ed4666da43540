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
# The mail host trusts Pebble's issuing root in its system store, as a real host trusts ISRG Root X1: the guide's
# `openssl s_client … | grep Verify` gives code 0 here as written (the toolbox does not, which the course shows).
# In the background, after lab-fetch-cas has installed the HTTPS CA (two update-ca-certificates must not overlap).
(
  for _ in $(seq 1 240); do [ -f /etc/lab/ca-installed ] && [ -s /etc/lab/pebble-root.pem ] && break; sleep 0.25; done
  if [ -s /etc/lab/pebble-root.pem ]; then
    install -m 644 /etc/lab/pebble-root.pem /usr/local/share/ca-certificates/lab-pebble-root.crt
    update-ca-certificates >/dev/null 2>&1 && touch /etc/lab/pebble-root-trusted
  fi
) >/dev/null 2>&1 &
# acme.sh's RFC 2136 path (dns_nsupdate), for a DNS host that is not Cloudflare: the lab DNS with the session's TSIG key.
if [ -s /etc/lab/tsig.key ]; then
  umask 077
  printf 'export NSUPDATE_SERVER="%s"\nexport NSUPDATE_SERVER_PORT="5353"\nexport NSUPDATE_KEY="/etc/lab/tsig.key"\n' \
    "${LAB_DNS_IP:-$LAB_SUBNET.10}" > /etc/lab/nsupdate.env
  umask 022
fi
# acme.sh's renewal runs from root's crontab, as on a real host.
/etc/init.d/cron start
/etc/init.d/dovecot start
/etc/init.d/exim4 start
exec sleep infinity
