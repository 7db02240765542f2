#!/usr/bin/env bash
# Headless Chromium for the HTML report's browser tests (test/e2e/html.test.ts): Debian's
# `chromium` package, driven by playwright-core through executablePath (no browser download).
# Idempotent: installs nothing when /usr/bin/chromium is already there. Needs root (or sudo).
set -euo pipefail
say() { printf 'browser-setup: %s\n' "$*"; }
if [ -x /usr/bin/chromium ]; then say "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"; exit 0; fi
die() { say "$*"; exit 2; }
# shellcheck source=apt-packages.sh
. "$(dirname "$0")/apt-packages.sh"
ensure_packages chromium
say "installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
