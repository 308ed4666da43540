#!/usr/bin/env bash
# service: toolbox
# Scripted answer: MTA-STS policy over HTTPS (nginx, Pebble certificate), _mta-sts and TLS-RPT TXT, DANE TLSA 3 1 1.
set -euo pipefail
. /etc/lab/env
live=/etc/letsencrypt/live/mta-sts.domaine.tld
test -s "$live/fullchain.pem"

mkdir -p /var/www/mta-sts/.well-known
printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.domaine.tld\r\nmax_age: 86400\r\n' > /var/www/mta-sts/.well-known/mta-sts.txt
cat > /etc/nginx/sites-available/mta-sts <<NGINX
server {
    listen 443 ssl;
    server_name mta-sts.domaine.tld;
    ssl_certificate $live/fullchain.pem;
    ssl_certificate_key $live/privkey.pem;
    root /var/www/mta-sts;
    location = /.well-known/mta-sts.txt {
        default_type text/plain;
        try_files \$uri =404;
    }
}
NGINX
ln -sf /etc/nginx/sites-available/mta-sts /etc/nginx/sites-enabled/mta-sts
nginx -t 2>/dev/null
if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then nginx -s reload; else systemctl start nginx >/dev/null; fi

# DANE-EE: SHA-256 of the public key (SPKI) the mail server really presents on 25.
spki=$(openssl s_client -connect mail.domaine.tld:25 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null \
  | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
test ${#spki} -eq 64

nsupdate -k /etc/lab/tsig.key <<NS
server $LAB_DNS_IP 5353
zone domaine.tld
update delete _mta-sts.domaine.tld TXT
update add _mta-sts.domaine.tld 60 TXT "v=STSv1; id=20250101T000000"
update delete _smtp._tls.domaine.tld TXT
update add _smtp._tls.domaine.tld 60 TXT "v=TLSRPTv1; rua=mailto:tlsrpt@domaine.tld"
update delete _25._tcp.mail.domaine.tld TLSA
update add _25._tcp.mail.domaine.tld 60 TLSA 3 1 1 $spki
send
NS

# The zone is re-signed after the update; wait until the validating resolver serves the TLSA with AD.
validated=
for _ in $(seq 1 40); do
  if dig +dnssec +noall +comments +answer @"$LAB_DNS_IP" TLSA _25._tcp.mail.domaine.tld | grep -q 'flags:.* ad'; then
    # dig splits long hex in two words.
    dig +short @"$LAB_DNS_IP" TLSA _25._tcp.mail.domaine.tld | tr -d ' ' | grep -qi "$spki" && { validated=1; break; }
  fi
  sleep 0.5
done
[ -n "$validated" ] || { echo "TLSA not validated by the lab resolver" >&2; exit 1; }

# What was published, as `dig` prints it: the file handed in with the site and the policy for grading.
dig +noall +answer @"$LAB_DNS_IP" _mta-sts.domaine.tld TXT _smtp._tls.domaine.tld TXT _25._tcp.mail.domaine.tld TLSA > /root/domaine.tld.zone
test "$(grep -c . /root/domaine.tld.zone)" -ge 3
