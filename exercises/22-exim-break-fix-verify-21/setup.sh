#!/usr/bin/env bash
# service: mail
# Start state (row "Erreur verify code 21"): after a first "leaf only" deployment, a colleague "added the chain" by hand:
# he appended the lab's root (Pebble's) after the leaf, instead of the intermediate, in the SNI certificate and the
# fallback. `grep -c BEGIN` says 2, yet the intermediate that links the leaf to the root is never sent.
set -euo pipefail
src=/root/.acme.sh/domaine.tld_ecc
d=/usr/local/hestia/ssl
cat "$src/domaine.tld.cer" /etc/lab/pebble-root.pem > /tmp/leaf-root.pem
install -m 644 -o root -g root /tmp/leaf-root.pem "$d/mail/mail.domaine.tld.crt"
install -m 640 -o root -g Debian-exim "$src/domaine.tld.key" "$d/mail/mail.domaine.tld.key"
install -m 644 -o root -g root /tmp/leaf-root.pem "$d/certificate.crt"
install -m 640 -o root -g Debian-exim "$src/domaine.tld.key" "$d/certificate.key"
rm -f /tmp/leaf-root.pem
systemctl reload exim4 >/dev/null
# Exim re-executes itself on reload: wait for its listeners before anyone connects.
sleep 0.5; for _ in $(seq 1 40); do lab-listening 25 465 587 2>/dev/null && break; sleep 0.25; done
lab-listening 25 465 587
