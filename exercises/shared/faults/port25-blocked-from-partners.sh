#!/usr/bin/env bash
# service: mail
# Fault: the partners' MX address can no longer reach port 25 of the mail host (a firewall rule of its own table:
# a forgotten "temporary" block). Everything else, the toolbox included, still gets in.
set -euo pipefail
. /etc/lab/env
case "${1:-inject}" in
  inject)
    nft delete table inet lab_maintenance 2>/dev/null || true
    nft -f - <<NFT
table inet lab_maintenance {
  chain input {
    type filter hook input priority -5; policy accept;
    ip saddr $LAB_SUBNET.40 tcp dport 25 drop
  }
}
NFT
    echo "port 25 now drops $LAB_SUBNET.40 (partners)" ;;
  clear)
    nft delete table inet lab_maintenance 2>/dev/null || true
    echo "table inet lab_maintenance removed" ;;
  *) echo "usage: $0 inject|clear" >&2; exit 2 ;;
esac
