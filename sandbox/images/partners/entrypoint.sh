#!/bin/sh
# Entrypoint of the partners role: makes the partners CA and the MX certificate (three names), starts the server.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SESSION=%s\nLAB_SUBNET=%s\nLAB_DNS_IP=%s\n' "${LAB_SESSION:-}" "$LAB_SUBNET" "${LAB_DNS_IP:-$LAB_SUBNET.10}" > /etc/lab/env
d=/etc/partners
if [ ! -f $d/mx.pem ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout $d/ca.key -out $d/ca.pem -days 3650 \
    -subj "/O=smtp-tls-lab/CN=smtp-tls-lab partners CA ${LAB_SESSION:-}" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout $d/mx.key -out $d/mx.csr -subj "/CN=mx.secure-partner.com" 2>/dev/null
  printf 'subjectAltName=DNS:mx.secure-partner.com,DNS:mx.banking-partner.com,DNS:mx.old-system.com\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' > $d/mx.ext
  openssl x509 -req -in $d/mx.csr -CA $d/ca.pem -CAkey $d/ca.key -CAcreateserial -days 825 -extfile $d/mx.ext -out $d/mx.pem 2>/dev/null
  rm -f $d/mx.csr $d/mx.ext
  chmod 600 $d/ca.key $d/mx.key
fi
touch /var/log/partners/deliveries.jsonl
/etc/init.d/partners start
exec sleep infinity
