#!/usr/bin/env bash
# service: toolbox
# Grading only: does with the handed-in files what the text has the learner do by hand, with the start state's own
# nginx, dnspython and nsupdate. Enables the MTA-STS site, then publishes the handed-in records in the signed zone.
set -euo pipefail
. /etc/lab/env
ln -sf /etc/nginx/sites-available/mta-sts /etc/nginx/sites-enabled/mta-sts
nginx -t 2>&1 | sed 's/^/nginx -t: /' >&2 || true
nginx -t >/dev/null 2>&1 || { echo "nginx refuses the submitted site /etc/nginx/sites-available/mta-sts" >&2; exit 1; }
if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then nginx -s reload; else systemctl start nginx >/dev/null; fi

# The records as `dig +noall +answer` prints them (zone-file lines). Parsed by dnspython, not by hand: only TXT and
# TLSA records inside domaine.tld go out, each in the form dnspython writes back, so nothing else reaches nsupdate.
updates=$(python3 - /root/domaine.tld.zone <<'PY'
import sys
import dns.name, dns.zone, dns.rdatatype
origin = dns.name.from_text('domaine.tld.')
try:
    zone = dns.zone.from_text(open(sys.argv[1]).read(), origin=origin, relativize=False, check_origin=False)
except Exception as e:
    sys.exit(f'{sys.argv[1]}: not zone-file records ({e})')
out = []
for name, rds in zone.iterate_rdatasets():
    if rds.rdtype not in (dns.rdatatype.TXT, dns.rdatatype.TLSA):
        print(f'ignored: {name} {dns.rdatatype.to_text(rds.rdtype)} (only TXT and TLSA are published)', file=sys.stderr)
        continue
    if not name.is_subdomain(origin):
        print(f'ignored: {name} is outside domaine.tld', file=sys.stderr)
        continue
    t = dns.rdatatype.to_text(rds.rdtype)
    out.append(f'update delete {name} {t}')
    out += [f'update add {name} {rds.ttl} {t} {rd.to_text()}' for rd in rds]
if not out:
    sys.exit(f'{sys.argv[1]}: no TXT or TLSA record inside domaine.tld')
print('\n'.join(out))
PY
)
printf '%s\n' "$updates" | sed 's/^/publishing: /' >&2
printf 'server %s 5353\nzone domaine.tld\n%s\nsend\n' "$LAB_DNS_IP" "$updates" | nsupdate -k /etc/lab/tsig.key

# The zone is re-signed after the update: wait until the validating resolver answers each published name.
for rr in $(printf '%s\n' "$updates" | awk '$2 == "add" { print $3 "/" $5 }' | sort -u); do
  for i in $(seq 1 40); do
    [ -n "$(dig +short @"$LAB_DNS_IP" "${rr#*/}" "${rr%/*}")" ] && break
    [ "$i" = 40 ] && { echo "the lab resolver never answered ${rr%/*} ${rr#*/} after the update" >&2; exit 1; }
    sleep 0.5
  done
done
