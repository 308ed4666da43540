#!/bin/sh
# Entrypoint of the dns role: renders the session zones and named.conf from LAB_* env, then starts named.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
: "${LAB_TSIG_SECRET:?LAB_TSIG_SECRET is required (base64 HMAC-SHA256 key)}"
LAB_DNS_IP=${LAB_DNS_IP:-$LAB_SUBNET.10}
LAB_TSIG_NAME=${LAB_TSIG_NAME:-lab-update}
/usr/local/bin/lab-resolv
mkdir -p /etc/lab
printf 'LAB_SUBNET=%s\nLAB_DNS_IP=%s\nLAB_TSIG_NAME=%s\n' "$LAB_SUBNET" "$LAB_DNS_IP" "$LAB_TSIG_NAME" > /etc/lab/env

cat > /etc/bind/lab-tsig.key <<K
key "$LAB_TSIG_NAME" { algorithm hmac-sha256; secret "$LAB_TSIG_SECRET"; };
K
chown root:bind /etc/bind/lab-tsig.key; chmod 640 /etc/bind/lab-tsig.key

serial=$(date +%s)
rm -f /var/lib/bind/zones/*
zones=""
for t in /etc/bind/lab-zones/*.zone; do
  z=$(basename "$t" .zone)
  zones="$zones $z"
  sed -e "s/@SUBNET@/$LAB_SUBNET/g" -e "s/@SERIAL@/$serial/g" "$t" > "/var/lib/bind/zones/$z.zone"
done
# Reverse zone of the session /24, so logs and FCrDNS checks show lab names. Unsigned: its name is only known now.
rev=$(echo "$LAB_SUBNET" | awk -F. '{print $3"."$2"."$1".in-addr.arpa"}')
cat > /var/lib/bind/zones/reverse.zone <<Z
\$ORIGIN $rev.
\$TTL 60
@	IN SOA	dns.lab.test. hostmaster.lab.test. ( $serial 60 30 3600 1 )
	IN NS	dns.lab.test.
1	IN PTR	gateway.lab.test.
10	IN PTR	dns.lab.test.
11	IN PTR	acme.lab.test.
20	IN PTR	mail.domaine.tld.
30	IN PTR	toolbox.lab.test.
40	IN PTR	mx.secure-partner.com.
Z
chown -R bind:bind /var/lib/bind

{
  cat <<C
// Lab DNS, one named process (memory: a second instance would double ~22 MB of baseline heap).
// View "authoritative": the session zones, signed by dnssec-policy with keys made at image build; reached by
// TSIG-signed requests (nsupdate, certbot) and by the resolver view's own forwarded queries from 127.0.0.1.
// View "resolver": validating, forwards only to the authoritative view, never to the Internet.
options {
	directory "/var/lib/bind";
	key-directory "/var/lib/bind/keys";
	pid-file "/run/named/named.pid";
	listen-on port 53 { $LAB_DNS_IP; 127.0.0.1; };
	listen-on port 5353 { $LAB_DNS_IP; 127.0.0.1; };
	listen-on-v6 { none; };
	allow-transfer { none; };
	notify no;
	session-keyfile none;
	version none;
	max-cache-size 1m;
};
controls { };
logging {
	channel main { file "/var/log/named/named.log" versions 2 size 1m; print-time yes; severity info; };
	category default { main; }; category lame-servers { null; };
};
include "/etc/bind/lab-tsig.key";
include "/etc/bind/lab-policy.conf";
view "authoritative" {
	match-clients { key $LAB_TSIG_NAME; 127.0.0.1; };
	recursion no;
	dnssec-validation no;
C
  for z in $zones; do
    printf '\tzone "%s" { type primary; file "zones/%s.zone"; dnssec-policy lab; inline-signing no; update-policy { grant %s zonesub ANY; }; };\n' "$z" "$z" "$LAB_TSIG_NAME"
  done
  printf '\tzone "%s" { type primary; file "zones/reverse.zone"; update-policy { grant %s zonesub ANY; }; };\n' "$rev" "$LAB_TSIG_NAME"
  cat <<C
};
view "resolver" {
	match-clients { any; };
	recursion yes;
	allow-recursion { any; };
	forwarders { 127.0.0.1 port 5353; };
	forward only;
	dnssec-validation yes;
	include "/etc/bind/lab-trust-anchors.conf";
	// Near-zero caching: a TXT or TLSA added by nsupdate is seen at once (DNS-01, DANE exercises).
	max-cache-ttl 2;
	max-ncache-ttl 0;
	max-cache-size 1m;
};
C
} > /etc/bind/named.conf
mkdir -p /var/log/named && chown bind:bind /var/log/named
/etc/init.d/named start
exec sleep infinity
