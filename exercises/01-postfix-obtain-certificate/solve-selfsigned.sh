#!/usr/bin/env bash
# service: mail
# Scripted answer, self-signed path: the course's openssl command without its prompts, then its permissions.
set -euo pipefail
mkdir -p /etc/postfix/ssl
openssl req -new -x509 -days 365 -nodes -newkey rsa:2048 \
  -subj "/C=FR/ST=Nord/L=Lille/O=MonEntreprise/OU=IT/CN=mail.domaine.tld" \
  -addext "subjectAltName=DNS:mail.domaine.tld" \
  -out /etc/postfix/ssl/cert.pem -keyout /etc/postfix/ssl/key.pem 2>/dev/null
chmod 600 /etc/postfix/ssl/key.pem
chmod 644 /etc/postfix/ssl/cert.pem
chown root:root /etc/postfix/ssl/*
