#!/usr/bin/env bash
# Starts the rig's pcscd in the background and records its PID (tests run it to restart pcscd):
#
#   start-pcscd.sh RIG_DIR [READER_CONF_DIR]
#
# Without READER_CONF_DIR it waits until the vpcd reader is listed; with one (an empty directory:
# pcscd without the reader) it waits only for pcscd's socket.
set -u
dir=$1
conf=${2:-$dir/reader.conf.d}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# A pcscd killed with SIGKILL leaves its pid file and socket; a dead (or zombie, where init
# does not reap) owner would make the new pcscd refuse to start.
old=$( (cat /run/pcscd/pcscd.pid 2>/dev/null || true) | tr -cd '0-9')
if [ -n "$old" ] && { ! kill -0 "$old" 2>/dev/null || grep -q ') Z' "/proc/$old/stat" 2>/dev/null; }; then
  $sudo rm -f /run/pcscd/pcscd.pid /run/pcscd/pcscd.comm
fi
$sudo pcscd -f -c "$conf" >>"$dir/pcscd.log" 2>&1 &
echo $! >"$dir/pcscd.pid"
for _ in $(seq 1 100); do
  if [ -n "${2:-}" ]; then
    [ -S /run/pcscd/pcscd.comm ] && sleep 0.3 && exit 0
  else
    opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD" && exit 0
  fi
  sleep 0.1
done
echo "rig: pcscd did not come up; see $dir/pcscd.log" >&2
exit 1
