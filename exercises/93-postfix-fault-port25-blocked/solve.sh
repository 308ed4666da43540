#!/usr/bin/env bash
# service: mail
# Scripted answer: find the table whose rule drops the partners on 25 (nft list ruleset) and remove it.
set -euo pipefail
# Outputs are captured before grep -q reads them: with pipefail, grep -q quitting early makes nft's SIGPIPE fail the pipe.
rules=$(nft list ruleset)
grep -q 'tcp dport 25 drop' <<<"$rules"
table=
while read -r _ fam name; do
  t=$(nft list table "$fam" "$name")
  if grep -q 'tcp dport 25 drop' <<<"$t"; then table="$fam $name"; break; fi
done < <(nft list tables)
test -n "$table"
nft delete table $table
