#!/usr/bin/env bash
# service: toolbox
# Fault: the _mta-sts.domaine.tld TXT record disappears (a zone edit that lost it). `inject` saves it, `clear` puts it
# back (or a fresh one when none was saved).
set -euo pipefail
. /etc/lab/env
save=/var/lib/lab-faults/mta-sts-record.txt
mkdir -p /var/lib/lab-faults
update() { nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update delete _mta-sts.domaine.tld TXT
$1
send
NS
}
case "${1:-inject}" in
  inject)
    now=$(dig +short TXT _mta-sts.domaine.tld @"$LAB_DNS_IP" | grep -i 'v=STSv1' | head -n 1 || true)
    # A second inject must not overwrite the saved record with nothing.
    [ -n "$now" ] && printf '%s\n' "$now" > "$save"
    update ''
    echo "_mta-sts.domaine.tld TXT removed${now:+ (was $now)}" ;;
  clear)
    value=$(head -n 1 "$save" 2>/dev/null || true)
    [ -n "$value" ] || value="\"v=STSv1; id=$(date -u +%Y%m%d%H%M%S)\""
    update "update add _mta-sts.domaine.tld 60 TXT $value"
    rm -f "$save"
    echo "_mta-sts.domaine.tld TXT restored: $value" ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
# The resolver caches for 2 s at most: wait until it tells the new story.
sleep 2.5
