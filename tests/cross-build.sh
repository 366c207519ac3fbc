#!/usr/bin/env bash
# Cross-builds the arm64 package for a Raspberry Pi from this (amd64) machine and checks the
# binary runs under qemu. Installs the toolchain pieces when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/apt.sh
source tests/apt.sh
# The arm64 library needs the architecture first; apt_install's --no-remove keeps apt from
# removing python3 to satisfy the arm64 package's recommends (see the toolchain notes).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" -eq 0 ]; then dpkg --add-architecture arm64; else sudo dpkg --add-architecture arm64; fi
  apt_updated=0
fi
apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross libpcsclite-dev:arm64 qemu-user-static file dpkg-dev
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
deb=$(cargo deb -p myna-kiosk --locked --target aarch64-unknown-linux-gnu | tail -n 1)
[ -f "$deb" ] || { echo "cross-build: no package" >&2; exit 1; }
bin="${CARGO_TARGET_DIR:-target}/aarch64-unknown-linux-gnu/release/myna-kiosk"
file "$bin" | grep -q "ARM aarch64" || { echo "cross-build: $bin is not an arm64 binary" >&2; exit 1; }
qemu-aarch64-static "$bin" --version
echo "arm64 package: $deb ($(du -h "$deb" | cut -f1)); stripped binary $(du -h "$bin" | cut -f1)"
