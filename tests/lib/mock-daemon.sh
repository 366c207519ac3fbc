# A `myna-kiosk run --mock` daemon for a shell test stage (sourced; needs bash, node).
#   mock_daemon_init NAME            # $state (temp dir), $port, $base; stops it on exit
#   mock_daemon_start BIN [ARGS...]  # starts it, returns once health answers and tokens exist
#   stop_daemon                      # TERM, then KILL after 5 s

mock_daemon_init() {
  mock_daemon_name=$1
  state=$(mktemp -d "${TMPDIR:-/tmp}/myna-kiosk-$mock_daemon_name.XXXXXX")
  daemon_pid=""
  trap mock_daemon_cleanup EXIT
  trap 'exit 130' INT TERM
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  base="http://127.0.0.1:$port"
}

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

mock_daemon_cleanup() {
  local rc=$?
  stop_daemon
  if [ "$rc" -ne 0 ] && [ -f "$state/daemon.log" ]; then
    echo "== daemon log (last 40 lines)" >&2
    tail -n 40 "$state/daemon.log" >&2 || true
  fi
  rm -rf "$state"
  exit "$rc"
}

mock_daemon_start() {
  local bin=$1
  shift
  echo "== myna-kiosk run --mock --listen 127.0.0.1:$port"
  "$bin" run --mock --listen "127.0.0.1:$port" --state-dir "$state" "$@" >"$state/daemon.log" 2>&1 &
  daemon_pid=$!
  # Ready when the health check answers and the tokens are written (30 s at most).
  for _ in $(seq 150); do
    if [ -s "$state/tokens.json" ] && node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$base/v1/health"; then
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || { echo "$mock_daemon_name: the daemon exited" >&2; exit 1; }
    sleep 0.2
  done
  echo "$mock_daemon_name: the daemon did not come up in 30 s" >&2
  exit 1
}
