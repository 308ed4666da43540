# Lab shell environment: trust the lab CAs in Python tools (certbot, requests) and name the session's services.
export REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -f /etc/lab/env ] && set -a && . /etc/lab/env && set +a
