#!/usr/bin/env bash
# service: toolbox
# Publishes attacker.lab.test (the postfix lab's attacker, .50) in the lab zone, so the exercises' commands can name it.
set -euo pipefail
. /etc/lab/env
nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone lab.test
update delete attacker.lab.test A
update add attacker.lab.test 60 A $LAB_SUBNET.50
send
NS
