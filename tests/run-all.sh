#!/usr/bin/env bash
# Runs every test of the workspace, including the ones that go through the real PC/SC stack
# (pcscd + vpcd). Installs what a fresh Debian / Raspberry Pi OS machine lacks (as root).
#
#   bash tests/run-all.sh            # everything
#   bash tests/run-all.sh -- FILTER  # pass extra arguments to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tests/apt.sh
source tests/apt.sh

command -v cargo >/dev/null || { echo "run-all: cargo is required (install Rust with rustup)" >&2; exit 2; }
# First, in seconds: every program the tests start is installed below or part of base Debian.
bash tests/check-programs.sh
# The C compiler cargo links with (and builds SQLite with), the pcsc crate's build dependencies;
# systemd-analyze for the unit check.
apt_install gcc libc6-dev pkg-config libpcsclite-dev
command -v systemd-analyze >/dev/null || apt_install systemd

# Lints first, once the pcsc crate's build dependencies are there (CI's machine starts bare).
if [ "${MYNA_SKIP_LINTS:-}" != 1 ]; then
  echo "== cargo fmt --check"
  cargo fmt --all --check
  echo "== cargo clippy"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

# The PC/SC end-to-end tests need pcscd with a vpcd reader: a missing one fails the run.
# shellcheck source=tests/rig/pcscd.sh
source tests/rig/pcscd.sh
rig_install
rig_start_pcscd
trap rig_stop_pcscd EXIT

[ "${1:-}" = "--" ] && shift
cargo test --workspace --locked "$@"

# The reference kiosk screen in headless Chromium (installs chromium, node packages).
bash tests/browser/run.sh

# Clients generated from the OpenAPI documents (TypeScript from npm, Python from PyPI) each
# check a patient in against run --mock (1-2 min, most of it npm ci and pip install).
bash tests/clients/run.sh

# Hostile API clients and a soak (schemathesis from PyPI; its own network namespace).
bash tests/hostile/run.sh

# Every fuzz target for a few seconds on its checked-in corpus (installs cargo-fuzz).
bash fuzz/run.sh "${MYNA_FUZZ_SECONDS:-10}"

# The package a kiosk installs: unit verification and the amd64 .deb.
bash tests/packaging.sh

# Every system call the daemon makes is allowed by the unit's filter (strace; ~10 s).
bash tests/syscall-audit.sh

# The .deb installed in a Debian root booted with systemd (nspawn): the service under its
# hardening, check-in, reload, SIGKILL, watchdog, purge (~25 s; ~75 s more once, for the
# debootstrap'd root; the package is the one packaging.sh built).
bash tests/booted/run.sh

# A short smoke of the benchmark on the debug build the tests made: it must run; its figures
# are indicative only (README "Performance" has the release figures). Never a pass/fail on a target.
apt_install wrk
cargo build --locked -p myna-kiosk -p myna-kiosk-tests --bin myna-kiosk --bin bench
bash tests/rig/isolated.sh target/debug/bench --smoke --json target/bench-smoke.json

# The package for the Pi: arm64 cross build, and the binary runs under qemu (~3 min).
bash tests/cross-build.sh
