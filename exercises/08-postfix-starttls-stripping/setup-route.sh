#!/usr/bin/env bash
# service: toolbox
# Start state, partner side (what the partner and the network are, not what the learner configures): the partner
# domain orders.secure-partner.com publishes its MX, its MTA-STS policy (enforce) and its TLSA 3 1 1 in the signed
# zone, and its MX address leads through the attacker (it relays to the real partner MX), in strip mode.
set -euo pipefail
. /etc/lab/env
partner=$LAB_SUBNET.40
attacker=$LAB_SUBNET.50
spki=$(openssl s_client -connect "$partner:25" -starttls smtp -servername mx.orders.secure-partner.com </dev/null 2>/dev/null \
  | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
test ${#spki} -eq 64
nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone secure-partner.com
update delete orders.secure-partner.com MX
update add orders.secure-partner.com 60 MX 10 mx.orders.secure-partner.com.
update delete mx.orders.secure-partner.com A
update add mx.orders.secure-partner.com 60 A $attacker
update delete mta-sts.orders.secure-partner.com A
update add mta-sts.orders.secure-partner.com 60 A $partner
update delete _mta-sts.orders.secure-partner.com TXT
update add _mta-sts.orders.secure-partner.com 60 TXT "v=STSv1; id=20261203T000000"
update delete _25._tcp.mx.orders.secure-partner.com TLSA
update add _25._tcp.mx.orders.secure-partner.com 60 TLSA 3 1 1 $spki
send
zone lab.test
update delete attacker.lab.test A
update add attacker.lab.test 60 A $attacker
send
NS
curl -fsS --max-time 5 -X POST "http://$attacker:8080/mode/strip" >/dev/null
# The zone is re-signed after the update: wait until the validating resolver serves the TLSA with AD.
for _ in $(seq 1 40); do
  if dig +dnssec +noall +comments @"$LAB_DNS_IP" TLSA _25._tcp.mx.orders.secure-partner.com | grep -q 'flags:.* ad' \
     && dig +short @"$LAB_DNS_IP" TLSA _25._tcp.mx.orders.secure-partner.com | tr -d ' ' | grep -qi "$spki"; then
    exit 0
  fi
  sleep 0.5
done
echo "TLSA of mx.orders.secure-partner.com not validated by the lab resolver" >&2
exit 1
