# Sourced by the setup scripts: `ensure_packages PKG...` installs the Debian packages that are
# missing (apt-get update first, as CI's contract asks), as root or through sudo. The caller
# defines say() and die().
ensure_packages() {
  local sudo="" p status
  local missing=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "run as root (apt-get needs it) or install sudo"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this setup needs Debian (bookworm) packages"
  say "apt-get update"
  $sudo apt-get update -qq
  for p in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "packages already installed: $*"
  fi
}
