#!/usr/bin/env bash
# The package as installed: a minimal Debian root of this machine's release booted with systemd
# as PID 1 (systemd-nspawn, its own network namespace), the freshly built .deb installed with
# apt, then tests/booted/inside.sh runs in it: the service under its full hardening reaches
# READY, a PIN check-in through pcscd + vpcd and the API, reload (good and broken config),
# SIGKILL, a hung driver, purge. Linux, as root.
#
#   bash tests/booted/run.sh
#
# Roots are cached under target/: the debootstrap root as target/fresh-root/<release>.tar (shared
# with tests/fresh-root.sh) and, from it, target/booted/<release>.tar with what the package needs
# from Debian (pcscd, libccid) and the bench's vpcd, curl and jq. Each run boots a fresh copy.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
[ "$(id -u)" -eq 0 ] || { echo "booted: run as root (it boots a container)" >&2; exit 2; }
start=$(date +%s)
# shellcheck source=tests/apt.sh
source tests/apt.sh
apt_install debootstrap systemd-container
release=$(. /etc/os-release && echo "$VERSION_CODENAME")
nspawn=(systemd-nspawn --register=no --keep-unit -q)

base="$repo/target/fresh-root/$release.tar"
if [ ! -f "$base" ]; then
  echo "== debootstrap $release (once; cached as $base)"
  mkdir -p "$(dirname "$base")"
  tmp="$repo/target/fresh-root/base"
  rm -rf "$tmp"
  debootstrap "$release" "$tmp" http://deb.debian.org/debian >"$repo/target/fresh-root/debootstrap.log" 2>&1 \
    || { tail -n 20 "$repo/target/fresh-root/debootstrap.log" >&2; exit 1; }
  tar -C "$tmp" -cf "$base.part" . && mv "$base.part" "$base"
  rm -rf "$tmp"
fi
dir="$repo/target/booted"
packages="pcscd libccid libpcsclite1 vsmartcard-vpcd curl jq"
# A new package list makes a new cache.
prepared="$dir/$release-$(md5sum <<<"$packages" | cut -c1-8).tar"
mkdir -p "$dir"
if [ ! -f "$prepared" ]; then
  echo "== preparing the root: $packages (once; cached as $prepared)"
  rm -rf "$dir/prep" && mkdir -p "$dir/prep"
  tar -C "$dir/prep" -xf "$base"
  # The machine's Debian sources, resolver and trust store (a proxy's CA is the machine's), as
  # tests/fresh-root.sh does.
  rm -f "$dir/prep/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$dir/prep/etc/apt/sources.list.d/" 2>/dev/null \
    || printf 'deb http://deb.debian.org/debian %s main\n' "$release" >"$dir/prep/etc/apt/sources.list"
  cp /etc/resolv.conf "$dir/prep/etc/resolv.conf"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$dir/prep/etc/ssl/certs" \
    && cp /etc/ssl/certs/ca-certificates.crt "$dir/prep/etc/ssl/certs/"
  # shellcheck disable=SC2086
  "${nspawn[@]}" -D "$dir/prep" --pipe -E DEBIAN_FRONTEND=noninteractive -- sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages >/dev/null" \
    || { echo "booted: apt-get in the root failed" >&2; exit 1; }
  tar -C "$dir/prep" -cf "$prepared.part" . && mv "$prepared.part" "$prepared"
  rm -rf "$dir/prep"
fi
echo "root ready after $(($(date +%s) - start)) s"

echo "== the package (cargo deb) and the bench build (virtual-card, the watchdog seam)"
deb=$(cargo deb -p myna-kiosk --locked | tail -n 1)
[ -f "$deb" ] || { echo "booted: cargo deb produced no package" >&2; exit 1; }
cargo build -q -p myna-kiosk --locked
bench="$target/debug/myna-kiosk"

root="$dir/root"
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xf "$prepared"
cp "$deb" "$root/root/myna-kiosk.deb"
cp tests/booted/inside.sh "$root/root/inside.sh"
echo "== boot ($release, systemd as PID 1)"
booted_at=$(date +%s)
"${nspawn[@]}" -D "$root" -b --private-network --console=passive \
  --bind-ro="$bench:/opt/bench/myna-kiosk" >"$dir/boot.log" 2>&1 &
nspawn_pid=$!
stop() {
  # SIGTERM to nspawn powers the container off; a second one ends it at once.
  kill -TERM "$nspawn_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
  kill -TERM "$nspawn_pid" 2>/dev/null || true
  wait "$nspawn_pid" 2>/dev/null || true
  [ "${MYNA_KEEP_ROOT:-}" = 1 ] || rm -rf "$root"
}
trap stop EXIT
leader=""
for _ in $(seq 100); do
  leader=$(ps --ppid "$nspawn_pid" -o pid= | tr -d ' ' | head -n 1 || true)
  # nspawn's child becomes systemd once it execs.
  [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ] && break
  leader=""
  sleep 0.1
done
[ -n "$leader" ] || { cat "$dir/boot.log" >&2; echo "booted: the container did not start" >&2; exit 1; }
status=0
nsenter -t "$leader" -a -r -w /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  bash /root/inside.sh || status=$?
took=$(($(date +%s) - start))
echo "booted: exit $status after $took s (boot and checks $(($(date +%s) - booted_at)) s)"
exit $status
