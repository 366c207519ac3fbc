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

state=$(mktemp -d "${TMPDIR:-/tmp}/myna-kiosk-browser.XXXXXX")
daemon_pid=""
stop_daemon() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$daemon_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  daemon_pid=""
}
cleanup() {
  local rc=$?
  stop_daemon
  if [ "$rc" -ne 0 ] && [ -f "$state/daemon.log" ]; then
    echo "== daemon log (last 40 lines)" >&2
    tail -n 40 "$state/daemon.log" >&2 || true
  fi
  rm -rf "$state"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base="http://127.0.0.1:$port"
echo "== myna-kiosk run --mock --listen 127.0.0.1:$port"
# An empty configuration file: one scenario writes [session] into it and reloads (SIGHUP).
: >"$state/config.toml"
"$bin" run --mock --config "$state/config.toml" --listen "127.0.0.1:$port" --state-dir "$state" >"$state/daemon.log" 2>&1 &
daemon_pid=$!

# Ready when the health check answers and the tokens are written.
node -e '
  const [base, tokens] = process.argv.slice(1);
  const fs = require("fs");
  const until = Date.now() + 30000;
  (async () => {
    for (;;) {
      try {
        const r = await fetch(base + "/v1/health");
        if (r.ok && fs.existsSync(tokens)) return;
      } catch (e) {}
      if (Date.now() > until) { console.error("browser: the daemon did not come up"); process.exit(1); }
      await new Promise((ok) => setTimeout(ok, 200));
    }
  })();
' "$base" "$state/tokens.json"
kill -0 "$daemon_pid" 2>/dev/null || { echo "browser: the daemon exited" >&2; exit 1; }

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
