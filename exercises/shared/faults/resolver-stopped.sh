#!/usr/bin/env bash
# service: dns
# Fault: the lab's validating resolver stops (named serves the resolver view and the signed zones: both go).
# Every lookup of the lab then times out: Postfix defers outbound mail with "Host or domain name not found".
set -euo pipefail
case "${1:-inject}" in
  inject)
    /etc/init.d/named stop
    echo "named stopped: the resolver on :53 no longer answers" ;;
  clear)
    /etc/init.d/named start
    for _ in $(seq 1 40); do
      /usr/local/bin/lab-healthy >/dev/null 2>&1 && { echo "named started"; exit 0; }
      sleep 0.25
    done
    echo "named did not come back" >&2
    exit 1 ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
