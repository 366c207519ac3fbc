# apt_install PKG...: installs the Debian packages that are missing (as root, or with sudo).
# Sourced by README's two commands. --no-remove: apt must never drop python3 or anything else
# to satisfy a dependency (see toolchain notes); it fails instead.
apt_updated=${apt_updated:-0}
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ "$apt_updated" -eq 0 ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends --no-remove "${missing[@]}" >/dev/null
}
