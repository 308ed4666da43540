#!/bin/sh
# Build step: one ECDSA P-256 CSK per lab zone (dnssec-policy state files included) and the resolver's trust anchors.
set -eu
# Every zone file shipped in the image, so a zone added to dns/zones/ gets its key and trust anchor.
zones=$(cd /etc/bind/lab-zones && ls *.zone | sed 's/\.zone$//')
mkdir -p /var/lib/bind/keys /var/lib/bind/zones /var/cache/bind /run/named
cat > /etc/bind/lab-policy.conf <<'P'
dnssec-policy "lab" {
	keys { csk lifetime unlimited algorithm ecdsap256sha256; };
	dnskey-ttl 60;
	max-zone-ttl 3600;
	zone-propagation-delay 0;
	publish-safety 0;
	retire-safety 0;
	signatures-refresh 5d;
	signatures-validity 14d;
	signatures-validity-dnskey 14d;
};
P
cd /var/lib/bind/keys
for z in $zones; do dnssec-keygen -q -k lab -l /etc/bind/lab-policy.conf "$z" >/dev/null; done
{
  echo "# Written at image build from the keys in /var/lib/bind/keys: one static anchor per lab zone."
  echo "trust-anchors {"
  for f in K*.key; do
    awk '$0 !~ /^;/ && NF >= 7 { k=""; for (i=NF-0; i>=1; i--) if ($i == "DNSKEY") { d=i; break } ;
         for (i=d+4; i<=NF; i++) k=k $i; printf "\t%s static-key %s %s %s \"%s\";\n", $1, $(d+1), $(d+2), $(d+3), k }' "$f"
  done
  echo "};"
} > /etc/bind/lab-trust-anchors.conf
chown -R bind:bind /var/lib/bind /var/cache/bind /run/named
cat /etc/bind/lab-trust-anchors.conf
