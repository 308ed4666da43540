#!/usr/bin/env bash
# service: toolbox
# Fault: the TLSA record of mail.domaine.tld:25 disappears. `inject` saves it, `clear` puts it back, or publishes a
# 3 1 1 record of the certificate the server presents when none was saved.
set -euo pipefail
. /etc/lab/env
save=/var/lib/lab-faults/tlsa-record.txt
name=_25._tcp.mail.domaine.tld
mkdir -p /var/lib/lab-faults
update() { nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update delete $name TLSA
$1
send
NS
}
case "${1:-inject}" in
  inject)
    now=$(dig +short TLSA "$name" @"$LAB_DNS_IP" | head -n 1 || true)
    [ -n "$now" ] && printf '%s\n' "$now" > "$save"
    update ''
    echo "$name TLSA removed${now:+ (was $now)}" ;;
  clear)
    value=$(head -n 1 "$save" 2>/dev/null || true)
    if [ -z "$value" ]; then
      spki=$(openssl s_client -connect mail.domaine.tld:25 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null \
        | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
      value="3 1 1 $spki"
    fi
    update "update add $name 60 TLSA $value"
    rm -f "$save"
    echo "$name TLSA restored: $value" ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
sleep 2.5
