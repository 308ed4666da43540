#!/bin/sh
# Makes the partners CA and the MX certificate (three names) at image build time, so that they are the same in
# every sandbox of the image: the learner's lab and the grader's sandbox verify the same partner.
set -eu
d=/etc/partners
mkdir -p $d
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout $d/ca.key -out $d/ca.pem -days 3650 \
  -subj "/O=smtp-tls-lab/CN=smtp-tls-lab partners CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout $d/mx.key -out $d/mx.csr -subj "/CN=mx.secure-partner.com" 2>/dev/null
printf 'subjectAltName=DNS:mx.secure-partner.com,DNS:mx.banking-partner.com,DNS:mx.old-system.com,DNS:mx.orders.secure-partner.com,DNS:mta-sts.orders.secure-partner.com\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' > $d/mx.ext
openssl x509 -req -in $d/mx.csr -CA $d/ca.pem -CAkey $d/ca.key -CAcreateserial -days 3650 -extfile $d/mx.ext -out $d/mx.pem 2>/dev/null
rm -f $d/mx.csr $d/mx.ext
chmod 600 $d/ca.key $d/mx.key
