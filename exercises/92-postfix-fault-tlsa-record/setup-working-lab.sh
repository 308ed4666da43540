#!/usr/bin/env bash
# service: toolbox
# The working lab before the fault: a DANE-EE TLSA 3 1 1 record of the key mail.domaine.tld presents on 25.
set -euo pipefail
. /etc/lab/env
spki=$(openssl s_client -connect mail.domaine.tld:25 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null \
  | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
test ${#spki} -eq 64
nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update delete _25._tcp.mail.domaine.tld TLSA
update add _25._tcp.mail.domaine.tld 60 TLSA 3 1 1 $spki
send
NS
