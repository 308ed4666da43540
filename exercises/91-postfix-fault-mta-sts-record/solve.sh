#!/usr/bin/env bash
# service: toolbox
# Scripted answer: publish the record again, with a new id (senders refetch the policy when id changes).
set -euo pipefail
. /etc/lab/env
nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update add _mta-sts.domaine.tld 60 TXT "v=STSv1; id=$(date -u +%Y%m%d%H%M%S)"
send
NS
for _ in $(seq 1 20); do dig +short TXT _mta-sts.domaine.tld | grep -q 'v=STSv1' && exit 0; sleep 0.5; done
exit 1
