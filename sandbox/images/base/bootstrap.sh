#!/usr/bin/env bash
# Builds the Debian base image from the host's own apt mirror, for machines where no image registry answers.
set -euo pipefail
tag="${1:-smtp-tls-lab/base:bookworm}"
suite="${SUITE:-bookworm}"
# The mirror is read from the host's apt configuration at run time, never hard-coded.
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk '/^URIs:/{for(i=2;i<=NF;i++) if ($i !~ /security/) {print $i; exit}}' "$f")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^(http|https|file):/) {print $i; exit}}' /etc/apt/sources.list | head -n1)
fi
[ -n "$mirror" ] || { echo "bootstrap: no Debian mirror found in /etc/apt (set DEBIAN_MIRROR)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "bootstrap: debootstrap is missing: apt-get install -y debootstrap" >&2; exit 2; }
root=$(mktemp -d /tmp/smtp-tls-lab-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "bootstrap: debootstrap $suite from $mirror" >&2
debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" >&2
# Keep the image small and apt quiet in later layers.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$root/etc/apt/apt.conf.d/90-lab"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$tag" >&2
echo "$tag"
