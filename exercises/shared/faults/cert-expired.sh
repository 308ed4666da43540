#!/usr/bin/env bash
# service: mail
# Fault: the certificate Postfix serves on 25 expired. `inject` re-signs the served certificate's names and key into
# a self-signed certificate whose validity ended yesterday (openssl ca takes explicit dates: no clock shift needed),
# writes it over smtpd_tls_cert_file and reloads; `clear` puts the saved file back.
set -euo pipefail
save=/var/lib/lab-faults/cert-expired
cert=$(postconf -h smtpd_tls_cert_file)
key=$(postconf -h smtpd_tls_key_file)
real=$(readlink -f "$cert")
case "${1:-inject}" in
  inject)
    test -s "$real" && test -s "$key"
    mkdir -p "$save"
    [ -s "$save/cert.pem" ] || { cp -p "$real" "$save/cert.pem"; printf '%s\n' "$real" > "$save/path"; }
    work=$(mktemp -d)
    subj=$(openssl x509 -in "$save/cert.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
    san=$(openssl x509 -in "$save/cert.pem" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' || true)
    [ -n "$san" ] || san="DNS:$(hostname -f)"
    touch "$work/index.txt"
    cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = lab
[lab]
dir = $work
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
subjectAltName = $san
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
CNF
    echo 01 > "$work/serial"
    openssl req -new -key "$key" -subj "${subj:-/CN=$(hostname -f)}" -out "$work/req.csr" 2>/dev/null
    start=$(date -u -d '-91 days' +%Y%m%d%H%M%SZ)
    end=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
    openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile "$key" -in "$work/req.csr" -startdate "$start" -enddate "$end" \
      -extensions ext -out "$work/expired.pem" 2>/dev/null
    openssl x509 -in "$work/expired.pem" -out "$real"
    rm -rf "$work"
    systemctl reload postfix >/dev/null
    echo "$real now holds a certificate that expired on $(openssl x509 -in "$real" -noout -enddate | cut -d= -f2)" ;;
  clear)
    if [ -s "$save/cert.pem" ]; then
      cp -p "$save/cert.pem" "$(cat "$save/path")"
      rm -rf "$save"
      systemctl reload postfix >/dev/null
      echo "certificate restored"
    else
      echo "no saved certificate: nothing to restore"
    fi ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
