#!/usr/bin/env bash
# `npm run kernel-check:setup -- --hmm` (or `npm run kernel-check:setup-hmm`): builds the kernel that
# `cdm-replay kernel-check --kernel hmm` boots. Debian's stock 6.12 has `# CONFIG_DEVICE_PRIVATE is not set`,
# so test_hmm.ko cannot exist for it (KERNEL-CHECK.md Q3); this builds Debian's own linux-source-6.12 with
# scripts/kernel-hmm.config merged into x86_64_defconfig. About 7 minutes on 2 idle cores, once: the result
# (bzImage, test_hmm.ko, test_hmm_uapi.h, .config) is cached under
#   $CDM_REPLAY_CACHE/kernel-hmm/<source version>-<sha256 of kernel-hmm.config, 12 hex>/
# and a second run with the same source package and config rebuilds nothing. Needs root (or sudo) for apt.
#   --print-config-hash   print the config part of the cache key and exit (no apt, no build)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FRAGMENT="$HERE/kernel-hmm.config"
SRC_PKG="linux-source-6.12"
CACHE_ROOT="${CDM_REPLAY_CACHE:-${HOME:-/root}/.cache/cdm-replay}"
HDIR="$CACHE_ROOT/kernel-hmm"
PKGS=("$SRC_PKG" build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod xz-utils)

say() { printf 'kernel-check:setup-hmm: %s\n' "$*"; }
die() { printf 'kernel-check:setup-hmm: error: %s\n' "$*" >&2; exit 2; }
config_hash() { sha256sum "$FRAGMENT" | cut -c1-12; }

[ -r "$FRAGMENT" ] || die "config fragment not found: $FRAGMENT"
case "${1:-}" in
  --print-config-hash) config_hash; exit 0 ;;
  "") ;;
  *) die "unknown option '$1' (accepted: --print-config-hash)" ;;
esac


# 1. Source package and build dependencies, from Debian's archive.
# shellcheck source=apt-packages.sh
. "$(dirname "$0")/apt-packages.sh"
ensure_packages "${PKGS[@]}"
srcver="$(dpkg-query -W -f='${Version}' "$SRC_PKG")"
tarball="/usr/src/$SRC_PKG.tar.xz"
[ -r "$tarball" ] || die "$SRC_PKG $srcver is installed but $tarball is missing"

# 2. Cache key: source package version + config fragment hash (characters safe in any path).
hash="$(config_hash)"
key="$(printf '%s' "$srcver" | tr -c 'A-Za-z0-9._-' '_')-$hash"
out="$HDIR/$key"
say "source $SRC_PKG $srcver, config $(basename "$FRAGMENT") sha256 $hash -> $out"
if [ -s "$out/bzImage" ] && [ -s "$out/test_hmm.ko" ] && [ -s "$out/test_hmm_uapi.h" ]; then
  printf '%s\n' "$key" > "$HDIR/CURRENT"
  say "already built ($(sed -n 's/^build_seconds=//p' "$out/BUILD-INFO" 2>/dev/null || echo '?') s then): nothing to do"
  say "kernel for --kernel hmm: $out/bzImage"
  exit 0
fi

# 3. Unpack the source once per source version (about 10 s), then build out of tree per config.
mkdir -p "$HDIR"
src="$HDIR/src-$(printf '%s' "$srcver" | tr -c 'A-Za-z0-9._-' '_')"
if [ ! -f "$src/.cdm-unpacked" ]; then
  say "unpacking $tarball"
  rm -rf "$src" "$src.part" && mkdir -p "$src.part"
  tar -xJf "$tarball" -C "$src.part" --strip-components=1
  touch "$src.part/.cdm-unpacked" && mv "$src.part" "$src"
fi
build="$HDIR/build-$key"
base="$(sed -n 's/^# base: *//p' "$FRAGMENT" | head -n1)"
[ -n "$base" ] || die "$FRAGMENT has no '# base: <defconfig>' line"
mkdir -p "$build"
say "configuring: $base + $(basename "$FRAGMENT")"
make -s -C "$src" O="$build" "$base" >/dev/null
KCONFIG_CONFIG="$build/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$FRAGMENT" >/dev/null
make -s -C "$src" O="$build" olddefconfig >/dev/null
# merge_config only warns when Kconfig drops a value (an unmet dependency): make that an error.
bad=()
while IFS= read -r line; do
  if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
    grep -qxF "$line" "$build/.config" || bad+=("${BASH_REMATCH[1]} (wanted ${BASH_REMATCH[2]}, got $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$build/.config" || echo absent))")
  elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
    ! grep -qE "^${BASH_REMATCH[1]}=" "$build/.config" || bad+=("${BASH_REMATCH[1]} (wanted unset)")
  fi
done < "$FRAGMENT"
[ "${#bad[@]}" -eq 0 ] || die "config values Kconfig did not accept: ${bad[*]}"

jobs="$(nproc)"
say "building bzImage + modules with make -j$jobs (about 7 min on 2 idle cores; log: $build/build.log)"
t0=$(date +%s)
if ! nice make -C "$src" O="$build" -j"$jobs" bzImage modules >"$build/build.log" 2>&1; then
  tail -n 20 "$build/build.log" >&2
  die "kernel build failed; full log: $build/build.log"
fi
secs=$(( $(date +%s) - t0 ))
release="$(make -s -C "$src" O="$build" kernelrelease)"

# 4. Publish atomically: a half-copied cache entry must never look complete.
rm -rf "$out.part" && mkdir -p "$out.part"
cp "$build/arch/x86/boot/bzImage" "$out.part/bzImage"
strip --strip-debug -o "$out.part/test_hmm.ko" "$build/lib/test_hmm.ko"
cp "$src/lib/test_hmm_uapi.h" "$out.part/test_hmm_uapi.h"
cp "$build/.config" "$out.part/config"
cat > "$out.part/BUILD-INFO" <<INFO
key=$key
source_package=$SRC_PKG
source_version=$srcver
config_sha256_12=$hash
kernelrelease=$release
build_seconds=$secs
jobs=$jobs
gcc=$(gcc -dumpfullversion)
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
INFO
rm -rf "$out" && mv "$out.part" "$out"
printf '%s\n' "$key" > "$HDIR/CURRENT"
say "built $release in ${secs} s: $(du -h "$out/bzImage" | cut -f1) bzImage, test_hmm.ko, test_hmm_uapi.h"
say "kernel for --kernel hmm: $out/bzImage"
