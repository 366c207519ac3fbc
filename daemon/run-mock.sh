#!/usr/bin/env bash
# README's first command: the daemon on mock hardware (the in-process virtual card, mock
# indicators). Installs what a fresh Debian / Raspberry Pi OS lacks to build it (the C compiler
# cargo links with, the pcsc crate's build dependencies: the binary links libpcsclite even when
# it never talks to pcscd), then runs `myna-kiosk run --mock` with the arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "run-mock: cargo is required (install Rust with rustup)" >&2; exit 2; }
# shellcheck source=tests/apt.sh
source tests/apt.sh
apt_install gcc libc6-dev pkg-config libpcsclite-dev
exec cargo run --locked -p myna-kiosk -- run --mock "$@"
