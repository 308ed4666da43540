#!/usr/bin/env bash
# service: acme
# Fault: the lab CA rotates. Pebble makes a new root (and intermediate) at every start and forgets its ACME accounts,
# so restarting it is what a CA rotation does to a lab: certificates issued before no longer chain to the root clients
# now trust, and certbot's saved account is unknown to the new CA. There is nothing to `clear`: the old root's key is
# gone (Debian's pebble cannot load a saved one); the repair is to issue the certificates again.
set -euo pipefail
case "${1:-inject}" in
  inject)
    /etc/init.d/pebble restart >/dev/null
    for _ in $(seq 1 60); do
      /usr/local/bin/lab-healthy >/dev/null 2>&1 && { echo "pebble restarted: new root, no accounts"; exit 0; }
      sleep 0.25
    done
    echo "pebble did not come back" >&2
    exit 1 ;;
  clear)
    echo "nothing to undo: the previous root is gone; issue the certificates again (certbot, with a new account)" ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
