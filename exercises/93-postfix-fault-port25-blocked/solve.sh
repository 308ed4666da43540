#!/usr/bin/env bash
# service: mail
# Scripted answer: find the table whose rule drops the partners on 25 (nft list ruleset) and remove it.
set -euo pipefail
nft list ruleset | grep -q 'tcp dport 25 drop'
table=$(nft list tables | while read -r _ fam name; do nft list table "$fam" "$name" | grep -q 'tcp dport 25 drop' && echo "$fam $name"; done | head -n 1)
test -n "$table"
nft delete table $table
