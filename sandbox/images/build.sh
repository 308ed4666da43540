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
# A "vendor" entry (acme.sh for exim): the verified release, found as `images build` finds it (sandbox/acme-sh-source.ts).
if [ -f "$src/context.json" ] && node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).vendor ? 0 : 1)' "$src/context.json"; then
  to=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).vendor["acme.sh"])' "$src/context.json")
  vendor=${SMTP_TLS_LAB_VENDOR_DIR:-$repo/../shared/vendor}
  tarball=${ACME_SH_TARBALL:-$vendor/acme.sh-3.1.3.tar.gz}
  [ -f "$tarball" ] || { echo "build.sh: $role needs acme.sh 3.1.3: set ACME_SH_TARBALL=/path/to/acme.sh-3.1.3.tar.gz (or use: images build --acme-sh FILE)" >&2; exit 2; }
  mkdir -p "$ctx/$to" && tar -xzf "$tarball" -C "$ctx/$to" --strip-components=1
  (cd "$ctx/$to" && printf '%s  %s\n' 66171c3113f2e36569572edb1656962d63c72862a57e03cbd2a066adaad5e588 acme.sh \
     9628ee8238cb3f9cfa1b1a985c0e9593436a3e4f8a9d65a6f775b981be9e76c8 dnsapi/dns_cf.sh | sha256sum -c --quiet) \
    || { echo "build.sh: $tarball is not the unmodified acme.sh 3.1.3" >&2; exit 2; }
fi
docker build -t "smtp-tls-lab/$role:latest" "$@" "$ctx"
