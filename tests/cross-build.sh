#!/usr/bin/env bash
# Cross-builds the arm64 package for a Raspberry Pi from this (amd64) machine and checks the
# binary runs under qemu. Installs the toolchain pieces when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! dpkg-query -W -f='${Status}' libpcsclite-dev:arm64 2>/dev/null | grep -q "install ok installed" \
   || ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64-static >/dev/null \
   || ! command -v file >/dev/null; then
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
  # Exactly like this: without --no-install-recommends --no-remove apt may remove python3.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends --no-remove \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross libpcsclite-dev:arm64 qemu-user-static file >/dev/null
fi
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
deb=$(cargo deb -p myna-kiosk --locked --target aarch64-unknown-linux-gnu | tail -n 1)
[ -f "$deb" ] || { echo "cross-build: no package" >&2; exit 1; }
bin="${CARGO_TARGET_DIR:-target}/aarch64-unknown-linux-gnu/release/myna-kiosk"
file "$bin" | grep -q "ARM aarch64" || { echo "cross-build: $bin is not an arm64 binary" >&2; exit 1; }
qemu-aarch64-static "$bin" --version
echo "arm64 package: $deb ($(du -h "$deb" | cut -f1)); stripped binary $(du -h "$bin" | cut -f1)"
