#!/usr/bin/env bash
# Hostile API clients and a soak, against the daemon on mock hardware (as root: it makes its own
# network namespace with a "clinic LAN" address, so LAN clients are real non-loopback peers).
#
#   bash tests/hostile/run.sh          # CI: ~2.5 min
#   bash tests/hostile/run.sh --long   # schemathesis 10x the examples, a 10-minute soak
#
# 1. contract: schemathesis (PyPI) generates requests from api/openapi.json with a token that
#    has every role; zero 5xx, answers conform to the document.
# 2. under fire: patients keep checking in on loopback while, from the LAN, schemathesis runs
#    again with a reception token, clients trickle headers and bodies, flood connections beyond
#    the limit, send oversized / malformed / wrongly typed bodies and guess tokens. Every patient
#    verified, zero 5xx, every hostile client cut off or refused.
# 3. bounds: what the LAN can make the daemon hold, while a patient checks in and reception
#    (its own LAN address) is polled: 256 clients trickling ~15 KiB unfinished headers, slow
#    readers that never read /v1/openapi.json, one host trying to take every slot. Peak memory
#    (VmHWM) after each phase; every client cut off; reception served in every phase.
# 4. soak: continuous check-ins with pollers and 50 SSE subscribers; sessions per minute, zero
#    errors, memory at start and end.
# Reports land in target/hostile/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
long=0
[ "${1:-}" = "--long" ] && long=1

if [ "${MYNA_HOSTILE_NETNS:-}" != 1 ]; then
  # shellcheck source=tests/apt.sh
  source tests/apt.sh
  apt_install pkg-config libpcsclite-dev iproute2 python3 python3-venv
  out="$root/target/hostile"
  mkdir -p "$out"
  venv="$root/target/hostile-venv"
  if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
  fi
  cargo build -p myna-kiosk --locked
  exec unshare --net env MYNA_HOSTILE_NETNS=1 bash "$0" "$@"
fi

# Inside the namespace: 127.0.0.1 for the kiosk screen, and "clinic LAN" addresses (hostile
# clients, the token guesser, schemathesis, reception; the bounds clients) so each is its own
# non-loopback peer. They sit on lo (no dummy or veth module needed); only 127/8 counts as
# loopback to the daemon.
ip link set lo up
for a in 192.0.2.10 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.20 192.0.2.21 192.0.2.22; do
  ip addr add "$a/32" dev lo
done

out="$root/target/hostile"
venv="$root/target/hostile-venv"
bin="$root/target/debug/myna-kiosk"
port=8787
examples=30
soak=60
if [ $long = 1 ]; then
  examples=300
  soak=600
fi
work=$(mktemp -d /tmp/myna-hostile.XXXXXX)
daemon_pid=""
stop_daemon() {
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=""
  fi
}
trap 'stop_daemon; rm -rf "$work"' EXIT

cat > "$work/tokens.json" <<'JSON'
{"kiosk":"hostile-kiosk-0123456789abcdef","reception":"hostile-reception-0123456789abcdef",
 "bench":"hostile-bench-0123456789abcdef","all":"hostile-all-roles-0123456789abcdef"}
JSON
# max_connections 512: the bounds stage's 256 slow clients (two hosts at the per-address cap of
# 128) leave room for reception. No token has the kiosk role with another (check-config refuses
# it: the screen's token must never read results), so "all roles" is all but kiosk.
cat > "$work/config.toml" <<'TOML'
[indicators]
backend = "none"

[api]
max_connections = 512

[[api.tokens]]
token = "hostile-kiosk-0123456789abcdef"
roles = ["kiosk"]

[[api.tokens]]
token = "hostile-reception-0123456789abcdef"
roles = ["reception"]

[[api.tokens]]
token = "hostile-bench-0123456789abcdef"
roles = ["bench"]

[[api.tokens]]
token = "hostile-all-roles-0123456789abcdef"
roles = ["reception", "staff", "face", "bench"]
TOML

start_daemon() {
  local name=$1
  mkdir -p "$work/$name"
  "$bin" run --mock --config "$work/config.toml" --state-dir "$work/$name" \
    --listen "0.0.0.0:$port" --allow-plain-http-on-lan >"$out/$name-daemon.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v1/health')" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "hostile: the daemon did not come up; see $out/$name-daemon.log" >&2
  return 1
}

schemathesis() {
  local url=$1 token=$2 checks=$3 report=$4
  (cd "$work" && "$venv/bin/schemathesis" run "$root/api/openapi.json" --url "$url" \
    -H "Authorization: Bearer $token" --exclude-path /v1/events -c "$checks" \
    -n "$examples" --seed 20261123 --no-color --request-timeout 20 \
    --report junit --report-junit-path "$out/$report.xml")
}

no_panic() {
  if grep -q "panicked" "$out/$1-daemon.log"; then
    echo "hostile: the daemon panicked; see $out/$1-daemon.log" >&2
    return 1
  fi
}

echo "== 1. contract: schemathesis with every role but kiosk ($examples examples per operation)"
start_daemon contract
schemathesis "http://127.0.0.1:$port" hostile-all-roles-0123456789abcdef \
  not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance contract
stop_daemon
no_panic contract

echo "== 2. under fire: patients on loopback, hostile clients and schemathesis on the LAN"
start_daemon under-fire
schemathesis "http://192.0.2.12:$port" hostile-reception-0123456789abcdef not_a_server_error under-fire \
  >"$out/under-fire-schemathesis.txt" 2>&1 &
st_pid=$!
fire=0
python3 tests/hostile/under_fire.py --port "$port" --pid "$daemon_pid" --tokens "$work/tokens.json" \
  --seconds 40 --hostile --lan 192.0.2.10 --guesser-lan 192.0.2.11 | tee "$out/under-fire.json" || fire=$?
st=0
wait "$st_pid" || st=$?
tail -n 12 "$out/under-fire-schemathesis.txt"
stop_daemon
no_panic under-fire
[ $st = 0 ] || { echo "hostile: schemathesis found failures under fire (see $out)" >&2; exit 1; }
[ $fire = 0 ] || { echo "hostile: the kiosk did not hold up under fire" >&2; exit 1; }

echo "== 3. bounds: big slow headers, slow readers, one host taking every slot; reception served"
start_daemon bounds
bounds=0
python3 tests/hostile/under_fire.py --port "$port" --pid "$daemon_pid" --tokens "$work/tokens.json" \
  --bounds --bounds-host 192.0.2.10 --bounds-lans 192.0.2.20,192.0.2.21,192.0.2.22 \
  --reception-lan 192.0.2.13 --max-connections 512 | tee "$out/bounds.json" || bounds=$?
stop_daemon
no_panic bounds
[ $bounds = 0 ] || { echo "hostile: the daemon was not bounded under hostile LAN clients" >&2; exit 1; }

echo "== 4. soak: ${soak} s of check-ins, pollers and SSE subscribers"
start_daemon soak
python3 tests/hostile/under_fire.py --port "$port" --pid "$daemon_pid" --tokens "$work/tokens.json" \
  --seconds "$soak" | tee "$out/soak.json"
stop_daemon
no_panic soak
echo "== hostile clients and soak: all passed (reports in $out)"
