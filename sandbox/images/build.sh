#!/usr/bin/env bash
# Builds one role image by hand the way the engine does: role folder plus the extra paths its context.json names.
# usage: sandbox/images/build.sh ROLE [docker build args...]
set -euo pipefail
role=${1:?usage: build.sh ROLE}; shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src="$here/$role"
[ -f "$src/Dockerfile" ] || { echo "build.sh: no Dockerfile in $src" >&2; exit 2; }
ctx=$(mktemp -d /tmp/stl-ctx-$role.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp -a "$src/." "$ctx/"
if [ -f "$src/context.json" ]; then
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).copy ?? {};
    for (const [from, to] of Object.entries(m)) console.log(from + "\t" + to);
  ' "$src/context.json" | while IFS=$'\t' read -r from to; do
    mkdir -p "$(dirname "$ctx/$to")"
    cp -aL "$repo/$from" "$ctx/$to"
  done
fi
docker build -t "smtp-tls-lab/$role:latest" "$@" "$ctx"
