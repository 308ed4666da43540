#!/usr/bin/env bash
# service: toolbox
# Scripted answer: the TLSA 3 1 1 of the key the server really presents, published again in the signed zone.
set -euo pipefail
. /etc/lab/env
spki=$(openssl s_client -connect mail.domaine.tld:25 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null \
  | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
test ${#spki} -eq 64
nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update add _25._tcp.mail.domaine.tld 60 TLSA 3 1 1 $spki
send
NS
for _ in $(seq 1 20); do
  dig +dnssec +noall +comments TLSA _25._tcp.mail.domaine.tld | grep -q 'flags:.* ad' && dig +short TLSA _25._tcp.mail.domaine.tld | grep -q . && exit 0
  sleep 0.5
done
exit 1
