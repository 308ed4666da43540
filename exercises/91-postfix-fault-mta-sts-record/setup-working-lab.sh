#!/usr/bin/env bash
# service: toolbox
# The working lab before the fault: domaine.tld announces its MTA-STS policy (exercise 7's record).
set -euo pipefail
. /etc/lab/env
nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update delete _mta-sts.domaine.tld TXT
update add _mta-sts.domaine.tld 60 TXT "v=STSv1; id=20250101T000000"
send
NS
