#!/usr/bin/env bash
# Generated clients prove the contract: from the checked-in documents, a TypeScript client
# (openapi-typescript + openapi-fetch, from api/openapi.json, 3.1) and a Python client
# (openapi-python-client, from api/openapi-3.0.json, 3.0.3) are generated, type-checked (tsc,
# mypy --strict), and each drives a full PIN check-in against `myna-kiosk run --mock`: the bench
# taps a virtual card, the kiosk role answers the prompts naming its session (If-Match), a
# stale command is refused with a typed Problem, reception reads the result and acknowledges it.
# Installs what a fresh Debian lacks (as root; never removes a package). Nothing generated is
# checked in: the TypeScript types go to tests/clients/ts/generated/ (ignored), the Python
# client and its virtualenv to target/.
#
#   bash tests/clients/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

# shellcheck source=tests/apt.sh
source tests/apt.sh

command -v cargo >/dev/null || { echo "clients: cargo is required (install Rust with rustup)" >&2; exit 2; }
# Build dependencies of the pcsc crate (the daemon links libpcsclite even with --mock).
apt_install pkg-config libpcsclite-dev python3 python3-venv
command -v node >/dev/null || apt_install nodejs
command -v npm >/dev/null || apt_install npm
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "clients: Node.js 18 or later is required (Debian bookworm has 18) (found $(node --version))" >&2
  exit 2
fi

ts="$here/ts"
echo "== npm ci (tests/clients/ts)"
(cd "$ts" && npm ci --no-audit --no-fund --loglevel=error)
venv="$root/target/clients-venv"
if [ ! -x "$venv/bin/openapi-python-client" ] || [ ! -x "$venv/bin/mypy" ]; then
  echo "== venv (openapi-python-client, mypy)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check openapi-python-client==0.29.1 mypy==2.4.1
fi

echo "== generate and type-check the TypeScript client (api/openapi.json)"
rm -rf "$ts/generated"
mkdir -p "$ts/generated"
"$ts/node_modules/.bin/openapi-typescript" "$root/api/openapi.json" -o "$ts/generated/api.d.ts"
"$ts/node_modules/.bin/tsc" -p "$ts"

echo "== generate and type-check the Python client (api/openapi-3.0.json)"
py="$root/target/clients/py"
rm -rf "$py"
mkdir -p "$py"
cp "$here/py/checkin.py" "$py/"
# The generator formats its output with ruff (installed with it), found on PATH.
(cd "$py" && PATH="$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate --meta none --output-path myna_client \
  --path "$root/api/openapi-3.0.json" --config "$here/py/config.yml")
(cd "$py" && "$venv/bin/mypy" --config-file "$here/py/mypy.ini" checkin.py)

echo "== cargo build -p myna-kiosk"
cargo build -p myna-kiosk --locked
bin="$root/target/debug/myna-kiosk"

# shellcheck source=tests/lib/mock-daemon.sh
source tests/lib/mock-daemon.sh
mock_daemon_init clients
mock_daemon_start "$bin"

echo "== the TypeScript client checks a patient in"
(cd "$ts" && KIOSK_BASE="$base" KIOSK_TOKENS="$state/tokens.json" node generated/out/checkin.js)
echo "== the Python client checks a patient in"
(cd "$py" && KIOSK_BASE="$base" KIOSK_TOKENS="$state/tokens.json" "$venv/bin/python" checkin.py)
