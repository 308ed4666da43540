#!/usr/bin/env bash
# service: toolbox
# Part of the scripted answer: fetch the partners' CA from the toolbox (the text has the learner use the mail
# host's own curl; both reach the partners service).
set -euo pipefail
curl -fsS --max-time 10 -o /root/partners-ca.pem http://mx.banking-partner.com:8080/ca.pem
grep -q 'BEGIN CERTIFICATE' /root/partners-ca.pem
