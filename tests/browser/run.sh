#!/usr/bin/env bash
# Browser tests of the reference kiosk screen (/kiosk, /kiosk/staff) in headless Chromium.
# Installs what a fresh Debian lacks (as root, or with sudo; never removes a package), builds
# the daemon, runs it with --mock on a free loopback port in a temporary state directory, runs
# kiosk.test.mjs with node --test, stops the daemon and prints the screenshot folder.
#
#   bash tests/browser/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

# shellcheck source=tests/apt.sh
source tests/apt.sh

command -v cargo >/dev/null || { echo "browser: cargo is required (install Rust with rustup)" >&2; exit 2; }
# Build dependencies of the pcsc crate (the daemon links libpcsclite even with --mock).
apt_install pkg-config libpcsclite-dev
# Debian's Chromium, driven by playwright-core (which downloads no browser of its own).
apt_install chromium fontconfig
# A Japanese font, or the screenshots show boxes (a kiosk image should carry fonts-noto-cjk).
[ -n "$(fc-list :lang=ja 2>/dev/null)" ] || apt_install fonts-ipaexfont-gothic
command -v node >/dev/null || apt_install nodejs
command -v npm >/dev/null || apt_install npm
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "browser: Node.js 18 or later is required (Debian bookworm has 18) (found $(node --version))" >&2
  exit 2
fi

echo "== npm ci (tests/browser)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

echo "== cargo build -p myna-kiosk"
cargo build -p myna-kiosk --locked
bin="$root/target/debug/myna-kiosk"

# shellcheck source=tests/lib/mock-daemon.sh
source tests/lib/mock-daemon.sh
mock_daemon_init browser
# An empty configuration file: one scenario writes [session] into it and reloads (SIGHUP).
: >"$state/config.toml"
mock_daemon_start "$bin" --config "$state/config.toml"

shots="$here/screenshots"
rm -rf "$shots"
mkdir -p "$shots"

echo "== node --test kiosk.test.mjs"
status=0
(cd "$here" && KIOSK_BASE="$base" KIOSK_TOKENS="$state/tokens.json" SCREENSHOT_DIR="$shots" \
  KIOSK_CONFIG="$state/config.toml" KIOSK_DAEMON_PID="$daemon_pid" \
  node --test --test-reporter=spec kiosk.test.mjs) || status=$?

stop_daemon
echo "== screenshots ($(find "$shots" -name '*.png' | wc -l) at 800x480): $shots"
exit "$status"
