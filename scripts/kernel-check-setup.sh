#!/usr/bin/env bash
# `npm run kernel-check:setup`: installs what `cdm-replay kernel-check` needs from Debian's own
# packages and unpacks the pinned stock 6.12 kernel's vmlinuz into the cache folder.
# Idempotent: a second run installs nothing and re-downloads nothing. Needs root (or sudo) for apt.
#   --hmm   afterwards, also build the custom kernel with test_hmm for `--kernel hmm` (about 7 minutes once;
#           scripts/kernel-check-setup-hmm.sh)
set -euo pipefail

HMM=0
for arg in "$@"; do
  case "$arg" in
    --hmm) HMM=1 ;;
    *) printf 'kernel-check:setup: error: unknown option %s (accepted: --hmm)\n' "$arg" >&2; exit 2 ;;
  esac
done

PINNED="6.12.117+deb12-amd64"                      # KERNEL-CHECK.md's measured reference kernel
CACHE_ROOT="${CDM_REPLAY_CACHE:-${HOME:-/root}/.cache/cdm-replay}"
KDIR="$CACHE_ROOT/kernel"
PKGS=(qemu-system-x86 busybox-static gcc libc6-dev cpio)

say() { printf 'kernel-check:setup: %s\n' "$*"; }
die() { printf 'kernel-check:setup: error: %s\n' "$*" >&2; exit 2; }


# 1. Debian packages. apt-get update once per run keeps apt-cache answers current.
# shellcheck source=apt-packages.sh
. "$(dirname "$0")/apt-packages.sh"
ensure_packages "${PKGS[@]}"
for p in "${PKGS[@]}"; do
  say "  $p $(dpkg-query -W -f='${Version}' "$p")"
done

# 2. The kernel image. The pinned version leaves bookworm-security when Debian ships the next 6.12
#    update (KERNEL-CHECK caveat 9): then take the newest linux-image-6.12.*+deb12-amd64 and say so.
version="$PINNED"
# (Read apt-cache into a variable: `grep -q` closing the pipe early would trip pipefail.)
policy="$(apt-cache policy "linux-image-$PINNED" 2>/dev/null || true)"
if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
  version="$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' \
    | awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n1)"
  [ -n "$version" ] || die "no linux-image-6.12.*+deb12-amd64 package in the apt sources"
  say "WARNING: pinned linux-image-$PINNED is not available; using linux-image-$version instead"
fi

mkdir -p "$KDIR"
vmlinuz="$KDIR/vmlinuz-$version"
if [ -s "$vmlinuz" ]; then
  say "kernel already unpacked: $vmlinuz"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  say "downloading linux-image-$version"
  # apt-get download runs as the _apt user when root: give it a folder it may write.
  chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -qq "linux-image-$version")
  deb="$(ls "$tmp"/linux-image-*.deb)"
  # Only vmlinuz is needed: the guest loads no modules.
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$version"
  mv "$tmp/boot/vmlinuz-$version" "$vmlinuz.part" && mv "$vmlinuz.part" "$vmlinuz"
  say "unpacked $vmlinuz ($(du -h "$vmlinuz" | cut -f1))"
fi
printf '%s\n' "$version" > "$KDIR/DEFAULT"
say "default kernel for --kernel debian-6.12: $version (cache: $KDIR)"
if [ "$HMM" = 1 ]; then
  exec bash "$(dirname "${BASH_SOURCE[0]}")/kernel-check-setup-hmm.sh"
fi
