#!/usr/bin/env bash
# service: mail
# Scripted answer, part 2: the new files are in place (copied by the previous steps); Postfix reads them on reload.
set -euo pipefail
openssl x509 -in /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem -noout -checkend 86400
systemctl reload postfix >/dev/null
