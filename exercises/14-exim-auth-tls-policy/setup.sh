#!/usr/bin/env bash
# service: mail
# Start state: exercise 2 done (Pebble wildcard deployed) and the panel's TLS settings untouched: AUTH offered
# before STARTTLS, GnuTLS's default priority (TLS 1.0 and 1.1 still accepted, RSA key exchange allowed).
set -euo pipefail
test -s /usr/local/hestia/ssl/mail/mail.domaine.tld.crt
! grep -Eq '^\s*(auth_advertise_hosts|tls_require_ciphers)\s*=' /etc/exim4/exim4.conf.template
