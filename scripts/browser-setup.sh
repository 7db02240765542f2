#!/usr/bin/env bash
# Headless Chromium for the HTML report's browser tests (test/e2e/html.test.ts): Debian's
# `chromium` package, driven by playwright-core through executablePath (no browser download).
# Idempotent: installs nothing when /usr/bin/chromium is already there. Needs root (or sudo).
set -euo pipefail
say() { printf 'browser-setup: %s\n' "$*"; }
if [ -x /usr/bin/chromium ]; then say "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"; exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { say "run as root (apt-get needs it) or install sudo"; exit 2; }
  SUDO="sudo"
fi
command -v apt-get >/dev/null 2>&1 || { say "apt-get not found: install Chromium and set CDM_CHROMIUM to its path"; exit 2; }
say "apt-get update"
$SUDO apt-get update -qq
say "apt-get install chromium"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
say "installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
