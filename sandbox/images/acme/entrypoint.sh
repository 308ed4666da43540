#!/bin/sh
# Entrypoint of the acme role: makes the lab CA and Pebble's HTTPS certificate, then starts Pebble and the CA web server.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
LAB_DNS_IP=${LAB_DNS_IP:-$LAB_SUBNET.10}
LAB_ACME_IP=${LAB_ACME_IP:-$LAB_SUBNET.11}
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SUBNET=%s\nLAB_DNS_IP=%s\nLAB_ACME_IP=%s\n' "$LAB_SUBNET" "$LAB_DNS_IP" "$LAB_ACME_IP" > /etc/lab/env
# The lab Cloudflare API updates the lab DNS with the session's TSIG key (nsupdate format, readable by its user only).
if [ -n "${LAB_TSIG_SECRET:-}" ]; then
  printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "${LAB_TSIG_NAME:-lab-update}" "$LAB_TSIG_SECRET" > /etc/lab/tsig.key
  chown root:nogroup /etc/lab/tsig.key; chmod 640 /etc/lab/tsig.key
fi

# P-256 keys: generated in milliseconds, so a fresh CA per session costs nothing at start.
d=/etc/pebble
if [ ! -f $d/https-ca.pem ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout $d/https-ca.key -out $d/https-ca.pem \
    -days 3650 -subj "/O=smtp-tls-lab/CN=smtp-tls-lab ACME HTTPS CA ${LAB_SESSION:-}" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout $d/https.key -out $d/https.csr \
    -subj "/CN=acme.lab.test" 2>/dev/null
  # The guide's names too: the lab DNS points them here (Pebble behind Let's Encrypt's name, the lab Cloudflare API
  # and the DoH resolver acme.sh checks its TXT records with).
  printf 'subjectAltName=DNS:acme.lab.test,DNS:acme,DNS:acme-v02.api.letsencrypt.org,DNS:acme-staging-v02.api.letsencrypt.org,DNS:api.cloudflare.com,DNS:cloudflare-dns.com,IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' "$LAB_ACME_IP" > $d/https.ext
  openssl x509 -req -in $d/https.csr -CA $d/https-ca.pem -CAkey $d/https-ca.key -CAcreateserial -days 825 \
    -extfile $d/https.ext -out $d/https.pem 2>/dev/null
  rm -f $d/https.csr $d/https.ext
  chmod 640 $d/https.key $d/https-ca.key; chgrp nogroup $d/https.key
  cp $d/https-ca.pem /srv/ca-http/https-ca.pem
fi
cat > $d/pebble-config.json <<J
{
  "pebble": {
    "listenAddress": "0.0.0.0:14000",
    "managementListenAddress": "0.0.0.0:15000",
    "certificate": "$d/https.pem",
    "privateKey": "$d/https.key",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
J
printf 'PEBBLE_DNS=%s:53\n' "$LAB_DNS_IP" > /etc/default/pebble
/etc/init.d/ca-http start
/etc/init.d/pebble start
/etc/init.d/lab-https-front start
exec sleep infinity
