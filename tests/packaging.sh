#!/usr/bin/env bash
# Packaging checks: the systemd unit verifies cleanly, and `cargo deb` builds an amd64 (host)
# package holding the binary, the unit, sysusers, polkit rule, example config (as conffile),
# CA certificates and docs. Called by tests/run-all.sh; installs cargo-deb when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")

echo "== systemd-analyze verify"
command -v systemd-analyze >/dev/null || { echo "packaging: systemd-analyze is missing (apt-get install systemd)" >&2; exit 1; }
cargo build -q -p myna-kiosk --locked
unit_dir=$(mktemp -d)
trap 'rm -rf "$unit_dir"' EXIT
sed "s|/usr/bin/myna-kiosk|$target/debug/myna-kiosk|g" systemd/myna-kiosk.service > "$unit_dir/myna-kiosk.service"
# systemd-analyze exits 0 on many bad values and only prints a warning: any output fails.
# --man=no: Documentation=man:myna-kiosk(8) is in the package (checked below), not on this machine.
out=$(systemd-analyze verify --man=no "$unit_dir/myna-kiosk.service" 2>&1 || true)
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "packaging: systemd-analyze verify complained" >&2
  exit 1
fi
# Secrets never reach disk: no core dumps, no swap.
for line in LimitCORE=0 MemorySwapMax=0; do
  grep -qx "$line" systemd/myna-kiosk.service || { echo "packaging: the unit lacks $line" >&2; exit 1; }
done
# The sandbox's score, held at or below 1.7 (systemd's scale: 0 best, 10 worst).
exposure=$(systemd-analyze security --offline=yes "$unit_dir/myna-kiosk.service" 2>/dev/null \
  | sed -nE 's/.*Overall exposure level for myna-kiosk.service: ([0-9.]+).*/\1/p')
[ -n "$exposure" ] || { echo "packaging: systemd-analyze security printed no exposure level" >&2; exit 1; }
echo "systemd-analyze security: exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e <= 1.7) }' \
  || { echo "packaging: exposure $exposure is above 1.7: a hardening line was lost" >&2; exit 1; }
echo "unit ok"

echo "== systemd-analyze verify: myna-bridge (README \"Results into a folder\")"
cargo build -q -p myna-bridge --locked
sed "s|/usr/bin/myna-bridge|$target/debug/myna-bridge|g" systemd/myna-bridge.service > "$unit_dir/myna-bridge.service"
out=$(systemd-analyze verify "$unit_dir/myna-bridge.service" 2>&1 || true)
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "packaging: systemd-analyze verify complained about myna-bridge.service" >&2
  exit 1
fi
# The figure README quotes: systemd's exposure score of the hardened unit (lower is better).
systemd-analyze security --offline=true "$unit_dir/myna-bridge.service" | tail -n 1
echo "bridge unit ok"

echo "== cargo deb"
# cargo-deb computes the package's library dependencies with dpkg-shlibdeps.
# shellcheck source=tests/apt.sh
source tests/apt.sh
apt_install dpkg-dev
if ! command -v cargo-deb >/dev/null; then
  cargo install --locked --quiet cargo-deb
fi
# stderr stays visible: a missing asset must say which one.
deb=$(cargo deb -p myna-kiosk --locked | tail -n 1)
[ -f "$deb" ] || { echo "packaging: cargo deb produced no package" >&2; exit 1; }
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/myna-kiosk ./etc/myna-kiosk/config.toml ./usr/lib/sysusers.d/myna-kiosk.conf \
  ./usr/share/myna-kiosk/jpki-ca/auth_ca_2023.pem ./usr/share/polkit-1/rules.d/50-myna-kiosk-pcscd.rules \
  ./usr/share/doc/myna-kiosk/hardware.md ./usr/lib/udev/rules.d/93-myna-kiosk-reader-power.rules \
  ./usr/lib/modprobe.d/myna-kiosk.conf ./usr/share/bash-completion/completions/myna-kiosk; do
  grep -q " $path\$" <<<"$contents" || { echo "packaging: $path missing from $deb" >&2; exit 1; }
done
grep -q "myna-kiosk.service" <<<"$contents" || { echo "packaging: no systemd unit in $deb" >&2; exit 1; }
grep -qE " \./usr/share/man/man8/myna-kiosk\.8(\.gz)?\$" <<<"$contents" || { echo "packaging: no man page in $deb" >&2; exit 1; }
dpkg-deb -e "$deb" "$unit_dir/control"
grep -qx "/etc/myna-kiosk/config.toml" "$unit_dir/control/conffiles" || { echo "packaging: config is not a conffile" >&2; exit 1; }
grep -q "systemd-sysusers" "$unit_dir/control/postinst" || { echo "packaging: postinst does not create the user" >&2; exit 1; }

# The kiosk's binary is built without the mock feature: no emulator, no test PKI, no vpcd
# server. The fixture private keys (PEM text, compiled in with include_str!) and the virtual
# card's source paths (in its panic locations) must be absent from the packaged binary, and
# present in a mock build, which shows the check can see them.
dpkg-deb -x "$deb" "$unit_dir/root"
packaged="$unit_dir/root/usr/bin/myna-kiosk"
marks=()
for key in hal/virtual-card/fixtures/*.key.pem; do marks+=("$(sed -n 2p "$key")"); done
marks+=("hal/virtual-card/src/")
found_in() { local bin=$1 n=0 m; for m in "${marks[@]}"; do grep -qaF -- "$m" "$bin" && n=$((n + 1)); done; echo $n; }
[ "$(found_in "$packaged")" -eq 0 ] || { echo "packaging: the packaged binary holds test keys or the virtual card" >&2; exit 1; }
[ "$(found_in "$target/debug/myna-kiosk")" -eq ${#marks[@]} ] \
  || { echo "packaging: the mock build lacks the marks the check looks for: the check is blind" >&2; exit 1; }
echo "no test key and no virtual card in the packaged binary ($(du -h "$packaged" | cut -f1); ${#marks[@]} marks, all in the mock build)"
# Debian's own checks: any error or warning fails; each override in systemd/lintian-overrides says why.
apt_install lintian
lintian --fail-on error,warning --tag-display-limit 0 "$deb" 2> >(grep -v 'running with root privileges' >&2) \
  || { echo "packaging: lintian complained (above)" >&2; exit 1; }
echo "lintian clean"
echo "package ok: $deb ($(du -h "$deb" | cut -f1))"
