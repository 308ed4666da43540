#!/usr/bin/env bash
# service: mail
# Issues an ECDSA P-256 certificate with acme.sh on the mail host, as guide 000 does (§5.3): DNS-01 through the lab's
# Cloudflare API (dns_cf), CA "letsencrypt" (Pebble in the lab). The files land where the guide reads them:
# ~/.acme.sh/NAME_ecc/{NAME.cer,NAME.key,ca.cer,fullchain.cer}.
# usage: acme-sh-issue.sh NAME [MORE_NAMES...]
set -euo pipefail
name=${1:?usage: acme-sh-issue.sh NAME [NAMES...]}
. /etc/lab/cloudflare.env
# The lab's CF_Zone_ID is domaine.tld's: a token bound to it cannot write another zone, so for other zones let
# dns_cf.sh find the zone by name, as acme.sh does without CF_Zone_ID.
case "$name" in domaine.tld|*.domaine.tld) ;; *) unset CF_Zone_ID ;; esac
domains=()
for n in "$@"; do domains+=(-d "$n"); done
acme.sh --set-default-ca --server letsencrypt >/dev/null
# --dnssleep 1: setup plumbing, not the learner's command; the lab DNS serves an update at once, so acme.sh's 20 s
# wait and its DoH polling would only slow the exercise down.
log=/var/log/lab-acme-sh-"${name#\*.}".log
acme.sh --issue --dns dns_cf "${domains[@]}" --keylength ec-256 --dnssleep 1 --force >"$log" 2>&1 \
  || { cat "$log" >&2; exit 1; }
echo "issued $name: $(openssl x509 -in "/root/.acme.sh/${name}_ecc/$name.cer" -noout -subject -enddate | tr '\n' ' ')"
