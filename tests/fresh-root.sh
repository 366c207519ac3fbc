#!/usr/bin/env bash
# Proves a bare machine before CI does: runs README's test command (through .ci/run, with CI=true)
# on a clean clone of HEAD inside a freshly debootstrapped Debian root of this machine's release.
# The root holds only what debootstrap's default variant installs (Priority required + important);
# the Rust toolchain is the machine's, bind-mounted read-only. Whatever the test command does not
# install itself is missing there, as on a new machine. Linux, as root.
#
#   bash tests/fresh-root.sh                 # the whole test command (about as long as CI)
#   bash tests/fresh-root.sh -- CMD [ARG…]   # another command in the clone, e.g. bash tests/check-programs.sh
#
# The pristine root is cached as target/fresh-root/<release>.tar (debootstrap, ~1 min, once);
# every run unpacks a new copy, so no run sees what an earlier one installed. The copy is
# removed afterwards unless MYNA_KEEP_ROOT=1. It also checks that every program
# tests/programs.txt calls `base` is in the new root.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "fresh-root: run as root (it mounts and chroots)" >&2; exit 2; }

if [ "${MYNA_FRESH_ROOT_INNER:-}" != 1 ]; then
  # shellcheck source=tests/apt.sh
  source tests/apt.sh
  apt_install debootstrap git
  release=$(. /etc/os-release && echo "$VERSION_CODENAME")
  cache="$repo/target/fresh-root"
  mkdir -p "$cache"
  if [ ! -f "$cache/$release.tar" ]; then
    echo "== debootstrap $release (once; cached as $cache/$release.tar)"
    rm -rf "$cache/base"
    debootstrap "$release" "$cache/base" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
      || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    tar -C "$cache/base" -cf "$cache/$release.tar.part" . && mv "$cache/$release.tar.part" "$cache/$release.tar"
    rm -rf "$cache/base"
  fi
  # The toolchain is mounted read-only: the targets the test command adds are added here first.
  rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
  root="$cache/root"
  rm -rf "$root"
  mkdir -p "$root"
  tar -C "$root" -xf "$cache/$release.tar"
  # The same Debian sources as this machine, and its resolver.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: $release $release-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $release-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # The machine's own trust store: where the registries are reached through a proxy with its
  # own CA (as on these machines), that CA is part of the machine, not of what we install.
  mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  # ca-certificates, once a package pulls it in, rebuilds the bundle from these too.
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  # A clean clone of HEAD, as CI makes one of main, with shared/ beside it when there is one.
  mkdir -p "$root/src"
  git clone -q --no-local "$repo" "$root/src/myna-kiosk"
  [ -d "$repo/../shared" ] && cp -r "$repo/../shared" "$root/src/shared"
  export MYNA_FRESH_ROOT_INNER=1 MYNA_FRESH_ROOT="$root"
  status=0
  start=$(date +%s)
  unshare --mount --propagation=private bash "$0" "$@" || status=$?
  took=$(($(date +%s) - start))
  [ "${MYNA_KEEP_ROOT:-}" = 1 ] || rm -rf "$root"
  echo "fresh-root: exit $status after ${took} s ($((took / 60)) min) in a fresh $release root"
  exit $status
fi

# Inside a private mount namespace: the root's kernel file systems and the read-only toolchain.
root=$MYNA_FRESH_ROOT
# The root a mount point of its own, as / is on a machine: `unshare --mount` in the tests
# makes / private, which fails on a plain directory.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_bin=$(dirname "$(command -v cargo)")
mkdir -p "$root/opt/rustup" "$root/opt/cargo-bin"
mount --bind "$rustup_home" "$root/opt/rustup" && mount -o remount,bind,ro "$root/opt/rustup"
mount --bind "$cargo_bin" "$root/opt/cargo-bin" && mount -o remount,bind,ro "$root/opt/cargo-bin"

# The machine's CA settings go in with it (the same variables CI's environment has).
ca_env=()
for v in SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE PIP_CERT NODE_EXTRA_CA_CERTS GIT_SSL_CAINFO; do
  [ -n "${!v:-}" ] && ca_env+=("$v=${!v}")
done
inside() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI=true "${ca_env[@]}" \
    PATH=/root/.cargo/bin:/opt/cargo-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    RUSTUP_HOME=/opt/rustup CARGO_HOME=/root/.cargo RUSTUP_TOOLCHAIN="$(rustup show active-toolchain | cut -d' ' -f1)" \
    bash -c "$1"
}

echo "== base programs (tests/programs.txt) in the fresh root"
missing=$(awk '$2 == "base" {print $1}' tests/programs.txt | while read -r p; do
  inside "command -v $p >/dev/null" || echo "$p"
done)
if [ -n "$missing" ]; then
  echo "fresh-root: tests/programs.txt calls these base, but a fresh root lacks them: $missing" >&2
  exit 1
fi
echo "every base program is there"

if [ "${1:-}" = "--" ]; then
  shift
  echo "== $* (in a clean clone, fresh root)"
  inside "cd /src/myna-kiosk && $(printf '%q ' "$@")"
else
  echo "== bash .ci/run (in a clean clone, fresh root)"
  inside "cd /src/myna-kiosk && bash .ci/run"
fi
