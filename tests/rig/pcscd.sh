# The PC/SC test rig: a private pcscd with a vsmartcard vpcd reader, for tests and benches.
# Sourced by tests/run-all.sh (and usable by hand):
#
#   source tests/rig/pcscd.sh && rig_install && rig_start_pcscd    # exports MYNA_PCSC_RIG
#   ...                                                             # cargo test, benches
#   rig_stop_pcscd
#
# MYNA_PCSC_RIG is the rig's directory: reader.conf.d/ (pcscd's reader config), pcscd.pid,
# pcscd.log and start-pcscd (what tests run to restart pcscd). MYNA_VPCD_PORT is the vpcd
# port: the virtual card connects there (`myna-kiosk virtual-card --vpcd 127.0.0.1:PORT`).
# vpcd listens on every interface: this is for test machines only, never a kiosk.

rig_install() {
  # shellcheck source=tests/apt.sh
  declare -F apt_install >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/../apt.sh"
  apt_install pcscd vsmartcard-vpcd libpcsclite-dev opensc pcsc-tools
  command -v pcscd >/dev/null || { echo "rig: pcscd did not install" >&2; return 1; }
  [ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || { echo "rig: vpcd driver missing" >&2; return 1; }
}

rig_start_pcscd() {
  export MYNA_VPCD_PORT="${MYNA_VPCD_PORT:-35963}"
  export MYNA_PCSC_RIG="${MYNA_PCSC_RIG:-$(mktemp -d /tmp/myna-pcsc-rig.XXXXXX)}"
  local dir="$MYNA_PCSC_RIG"
  # One pcscd per host (its socket is /run/pcscd/pcscd.comm): a running one is not ours.
  local running
  running=$( (ps -C pcscd -o pid=,stat= || true) | awk '$2 !~ /Z/ {print $1}' | tr '\n' ' ')
  if [ -n "$running" ]; then
    echo "rig: a pcscd is already running (pid $running); stop it first:" >&2
    echo "     sudo systemctl stop pcscd.socket pcscd.service   (or kill it)" >&2
    return 1
  fi
  mkdir -p "$dir/reader.conf.d"
  cat > "$dir/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME /dev/null:$MYNA_VPCD_PORT
LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID $MYNA_VPCD_PORT
CONF
  # Tests restart pcscd with exactly this (pcscd killed and back while the backend waits).
  local script
  script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/start-pcscd.sh"
  printf '#!/usr/bin/env bash\nexec bash %q %q "$@"\n' "$script" "$dir" >"$dir/start-pcscd"
  chmod +x "$dir/start-pcscd"
  "$dir/start-pcscd" || return 1
  echo "rig: pcscd (pid $(cat "$dir/pcscd.pid")) with a vpcd reader on port $MYNA_VPCD_PORT; rig in $dir"
}

rig_stop_pcscd() {
  local dir="${MYNA_PCSC_RIG:-}"
  [ -n "$dir" ] && [ -f "$dir/pcscd.pid" ] || return 0
  local pid
  pid=$(cat "$dir/pcscd.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pcscd.pid"
}
