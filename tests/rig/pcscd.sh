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
  local need=(pcscd vsmartcard-vpcd libpcsclite-dev opensc pcsc-tools)
  if declare -F apt_install >/dev/null; then
    apt_install "${need[@]}"
  else
    local missing=() p
    for p in "${need[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      local sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends --no-remove \
        "${missing[@]}" >/dev/null
    fi
  fi
  command -v pcscd >/dev/null || { echo "rig: pcscd did not install" >&2; return 1; }
  [ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || { echo "rig: vpcd driver missing" >&2; return 1; }
}

rig_start_pcscd() {
  export MYNA_VPCD_PORT="${MYNA_VPCD_PORT:-35963}"
  export MYNA_PCSC_RIG="${MYNA_PCSC_RIG:-$(mktemp -d /tmp/myna-pcsc-rig.XXXXXX)}"
  local dir="$MYNA_PCSC_RIG" sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
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
  cat > "$dir/start-pcscd" <<SH
#!/usr/bin/env bash
# Starts the rig's pcscd in the background and records its PID: start-pcscd [READER_CONF_DIR]
# A pcscd killed with SIGKILL leaves its pid file and socket; a dead (or zombie, where init
# does not reap) owner would make the new pcscd refuse to start.
old=\$( (cat /run/pcscd/pcscd.pid 2>/dev/null || true) | tr -cd '0-9')
if [ -n "\$old" ] && { ! kill -0 "\$old" 2>/dev/null || grep -q ') Z' "/proc/\$old/stat" 2>/dev/null; }; then
  $sudo rm -f /run/pcscd/pcscd.pid /run/pcscd/pcscd.comm
fi
# An argument names another reader config directory (an empty one: pcscd without the reader).
conf="\${1:-$dir/reader.conf.d}"
$sudo pcscd -f -c "\$conf" >>"$dir/pcscd.log" 2>&1 &
echo \$! > "$dir/pcscd.pid"
for _ in \$(seq 1 100); do
  if [ -n "\${1:-}" ]; then
    [ -S /run/pcscd/pcscd.comm ] && sleep 0.3 && exit 0
  else
    opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD" && exit 0
  fi
  sleep 0.1
done
echo "rig: pcscd did not come up; see $dir/pcscd.log" >&2
exit 1
SH
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
