#!/usr/bin/env bash
# Runs a command beside its own private pcscd + vpcd rig, in fresh mount, network and PID
# namespaces (Linux, as root): pcscd's socket directory (/run/pcscd), loopback ports and the
# process list are its own, so several rigs (a bench, a test run, a system pcscd) never meet.
#
#   bash tests/rig/isolated.sh cargo test -p myna-kiosk-tests
#   bash tests/rig/isolated.sh cargo run --release -p myna-kiosk-tests --bin bench
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
if [ "${MYNA_RIG_ISOLATED:-}" != 1 ]; then
  exec unshare --mount --net --pid --fork --mount-proc env MYNA_RIG_ISOLATED=1 bash "$0" "$@"
fi
ip link set lo up
mkdir -p /run/pcscd
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
# shellcheck source=tests/rig/pcscd.sh
source tests/rig/pcscd.sh
unset MYNA_PCSC_RIG
rig_install
rig_start_pcscd
trap rig_stop_pcscd EXIT
"$@"
