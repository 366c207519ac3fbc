#!/usr/bin/env bash
# Syscall audit: every system call the daemon makes in a full check-in (the autopilot's round of
# card profiles, PIN included), a configuration reload (SIGHUP), API requests, systemd
# notifications and the indicator test walk with a passive buzzer, whose soft PWM makes rppal's
# system calls through a test seam (`indicators test --soft-pwm-probe`; no Pi here), traced
# with `strace -f`, must be allowed by the unit's SystemCallFilter= lines, resolved in order
# with `systemd-analyze syscall-filter`. A denied call kills the daemon with SIGSYS (or fails
# with SystemCallErrorNumber=), so any one fails this check. Linux; no pcscd (mock hardware).
#
#   bash tests/syscall-audit.sh [UNIT]    # default systemd/myna-kiosk.service
set -euo pipefail
cd "$(dirname "$0")/.."
unit=${1:-systemd/myna-kiosk.service}
target="${CARGO_TARGET_DIR:-target}"
# shellcheck source=tests/apt.sh
source tests/apt.sh
apt_install strace curl
command -v systemd-analyze >/dev/null || apt_install systemd
cargo build -q -p myna-kiosk --locked
bin="$target/debug/myna-kiosk"

work=$(mktemp -d)
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- The allowed set, as systemd builds it from the unit's lines.
# Every group with its members (nested groups by name), one "GROUP MEMBER" line each.
systemd-analyze syscall-filter 2>/dev/null | awk '
  /^@/ { group = $1; next }
  /^ *#/ || NF == 0 { next }
  group != "" { print group, $1 }' >"$work/groups"
expand() { # NAME… → syscall names, groups resolved recursively
  local name
  for name in "$@"; do
    if [ "${name:0:1}" = "@" ]; then
      grep -q "^$name " "$work/groups" || { echo "syscall-audit: unknown group $name" >&2; exit 1; }
      # shellcheck disable=SC2046
      expand $(awk -v g="$name" '$1 == g {print $2}' "$work/groups")
    else
      echo "$name"
    fi
  done
}
mode=""
: >"$work/set"
while IFS= read -r line; do
  value=${line#SystemCallFilter=}
  deny=0
  [ "${value:0:1}" = "~" ] && { deny=1; value=${value:1}; }
  # shellcheck disable=SC2086
  expand $value | sort -u >"$work/names"
  if [ -z "$mode" ]; then
    mode=$([ $deny = 1 ] && echo deny || echo allow)
    cp "$work/names" "$work/set"
  elif { [ "$mode" = allow ] && [ $deny = 0 ]; } || { [ "$mode" = deny ] && [ $deny = 1 ]; }; then
    sort -u "$work/set" "$work/names" -o "$work/set"
  else
    comm -23 "$work/set" "$work/names" >"$work/set.new" && mv "$work/set.new" "$work/set"
  fi
done < <(grep '^SystemCallFilter=' "$unit")
[ -n "$mode" ] || { echo "syscall-audit: $unit has no SystemCallFilter=" >&2; exit 1; }
if [ "$mode" = allow ]; then
  # systemd.exec(5): allowed whatever the list says, for basic operation.
  printf '%s\n' execve exit exit_group getrlimit rt_sigreturn sigreturn >>"$work/set"
  sort -u "$work/set" -o "$work/set"
fi
echo "unit $unit: $mode-list of $(wc -l <"$work/set") system calls"

# --- The daemon's paths under strace.
port=$((20000 + RANDOM % 20000))
cat >"$work/config.toml" <<TOML
[api]
listen = "127.0.0.1:$port"
TOML
# As an unprivileged user, as the unit runs it: some libraries act differently as root (SQLite
# fchowns its journal files to the database's owner).
chmod 755 "$work"
mkdir -m 700 "$work/state" && chown nobody "$work/state"
traced() { strace -f -qq -u nobody -o "$work/trace.$1" -- "${@:2}"; }
echo "== run --mock: a round of check-ins, a reload, API requests, systemd notifications"
# The notification socket is absent: sd-notify still makes its calls, which is what counts.
NOTIFY_SOCKET="$work/notify" WATCHDOG_USEC=1000000 \
  strace -f -qq -u nobody -o "$work/trace.run" -- "$bin" run --mock --config "$work/config.toml" \
  --state-dir "$work/state" --autopilot --tap-interval 0.3 --once >"$work/run.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null || { cat "$work/run.log" >&2; echo "syscall-audit: the daemon never answered" >&2; exit 1; }
# The daemon is strace's child: the signal goes to it, not to strace.
kiosk_pid=$(awk "{print \$1}" "/proc/$daemon_pid/task/$daemon_pid/children")
kill -HUP "$kiosk_pid"
sleep 0.5
curl -fsS "http://127.0.0.1:$port/v1/openapi.json" >/dev/null
wait "$daemon_pid" || { cat "$work/run.log" >&2; echo "syscall-audit: the traced daemon failed" >&2; exit 1; }
daemon_pid=""
grep -q "configuration reloaded" "$work/run.log" || { cat "$work/run.log" >&2; echo "syscall-audit: the reload did not happen" >&2; exit 1; }
grep -q 'outcome=Verified method="pin"' "$work/run.log" || { cat "$work/run.log" >&2; echo "syscall-audit: no check-in was verified" >&2; exit 1; }
echo "== indicators test: every signal, passive buzzer on the soft PWM probe"
traced walk "$bin" indicators test --soft-pwm-probe --config "$work/config.toml" --seconds 0.1 >"$work/walk.log" 2>&1 \
  || { cat "$work/walk.log" >&2; echo "syscall-audit: the indicator walk failed" >&2; exit 1; }

# Each line of a trace: "PID name(…", "PID <... name resumed>…", or signals/exits ("+++", "---").
cat "$work"/trace.* | sed -nE 's/^[0-9]+ +(<\.\.\. )?([a-z0-9_]+)[( ].*/\2/p' | sort -u >"$work/made"
grep -qx sched_setscheduler "$work/made" || { echo "syscall-audit: the soft PWM probe made no sched_setscheduler: the audit is blind to it" >&2; exit 1; }
denied=$(comm -23 "$work/made" "$work/set")
echo "$(wc -l <"$work/made") distinct system calls made"
if [ -n "$denied" ]; then
  while read -r call; do
    echo "DENIED by $unit: $call  ($(grep -h -m1 -E "^[0-9]+ +$call\(" "$work"/trace.* | cut -c1-160))"
  done <<<"$denied" >&2
  echo "syscall-audit: the unit's filter denies system calls the daemon makes" >&2
  exit 1
fi
echo "syscall audit ok: every call is allowed by $unit"
