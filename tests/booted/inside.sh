#!/usr/bin/env bash
# Runs inside the booted root (tests/booted/run.sh copies it to /root): installs the package and
# checks the kiosk as systemd runs it. /root/myna-kiosk.deb is the package; /opt/bench/myna-kiosk
# the bench build (virtual-card, and the hung-driver seam `run --mock --test-hang-driver-after`).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
bench=/opt/bench/myna-kiosk
cfg=/etc/myna-kiosk/config.toml
api=http://127.0.0.1:8787
kiosk=booted-kiosk-token-0123456789
reception=booted-reception-token-0123456789

step() { echo "== $*"; }
fail() {
  echo "booted: $*" >&2
  journalctl -u myna-kiosk --no-pager -n 40 >&2 || true
  exit 1
}
wait_for() { # SECONDS WHAT COMMAND…: until COMMAND succeeds
  local tenths=$(($1 * 5)) what=$2
  shift 2
  for _ in $(seq "$tenths"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "timed out waiting for $what"
}
prop() { systemctl show -p "$1" --value myna-kiosk; }
get() { curl -fsS -H "Authorization: Bearer $1" "$api$2"; }
# Session commands name their session (If-Match: "s-…", the session view's id).
post() { # TOKEN PATH BODY [CURL OPTION…]: e.g. --unix-socket PATH
  local session
  session=$(get "$kiosk" /v1/session | jq -r .id)
  curl -fsS -H "Authorization: Bearer $1" -H "If-Match: \"$session\"" -H 'Content-Type: application/json' \
    -d "$3" "${@:4}" "$api$2" >/dev/null
}
prompt_is() { [ "$(get "$kiosk" /v1/session | jq -r .prompt.kind)" = "$1" ]; }

step "boot: systemd as PID 1"
# Until systemd listens, systemctl says "offline".
for _ in $(seq 100); do
  state=$(systemctl is-system-running --wait 2>/dev/null || true)
  [ "$state" = offline ] || [ -z "$state" ] || break
  sleep 0.2
done
case $state in running | degraded) ;; *) fail "the system is $state" ;; esac
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is not systemd"

step "apt-get install ./myna-kiosk.deb (no network: every dependency resolves from Debian's packages in the root)"
apt-get install -y -qq /root/myna-kiosk.deb >/dev/null || fail "apt-get install failed"
getent passwd myna-kiosk >/dev/null || fail "sysusers did not create the user"
dpkg-query -W -f='${Conffiles}\n' myna-kiosk | grep -q " $cfg " || fail "$cfg is not a conffile"
[ -f /usr/share/polkit-1/rules.d/50-myna-kiosk-pcscd.rules ] || fail "no polkit rule"
[ "$(stat -c '%U:%G %a' /etc/myna-kiosk)" = "root:myna-kiosk 750" ] || fail "/etc/myna-kiosk is $(stat -c '%U:%G %a' /etc/myna-kiosk)"
[ -f /usr/share/man/man8/myna-kiosk.8.gz ] || fail "no man page"
systemctl is-enabled --quiet myna-kiosk || fail "the service is not enabled"
systemctl is-active --quiet pcscd.socket || fail "pcscd.socket is not listening"

step "the shipped configuration: READY under every hardening line"
wait_for 30 "the service to be active (READY=1)" systemctl is-active --quiet myna-kiosk
pid=$(prop MainPID)
status=/proc/$pid/status
grep -q '^Seccomp:[[:space:]]2' "$status" || fail "no seccomp filter on the daemon"
grep -q '^NoNewPrivs:[[:space:]]1' "$status" || fail "NoNewPrivs is off"
grep -q '^CapEff:[[:space:]]0000000000000000' "$status" || fail "the daemon holds capabilities"
[ "$(stat -c %U "/proc/$pid")" = myna-kiosk ] || fail "the daemon does not run as myna-kiosk"
[ "$(prop StatusText)" = "idle: waiting for a card" ] || fail "STATUS is '$(prop StatusText)'"
# systemd says so when it cannot apply a line (a missing kernel feature): none may be skipped.
if journalctl -b --no-pager -o cat | grep -E '^myna-kiosk\.service: ' | grep -iE 'fail|ignor|not supported|unsupported|mode is different'; then
  fail "systemd could not apply part of the unit (above)"
fi
echo "active as myna-kiosk, seccomp on, no capabilities, status '$(prop StatusText)'"

step "a PIN check-in: vpcd + the virtual card, through pcscd, the Unix socket and the loopback API"
$bench virtual-card --write-test-ca /etc/myna-kiosk/test-ca.pem
chmod 644 /etc/myna-kiosk/test-ca.pem
cat >"$cfg" <<TOML
[api]
unix_socket = "/run/myna-kiosk/api.sock"

[trust]
anchors = ["/etc/myna-kiosk/test-ca.pem"]

[[api.tokens]]
token = "$kiosk"
roles = ["kiosk"]

# Reception's token as a systemd credential: the file stays root's alone.
[[api.tokens]]
token_file = "reception.token"
roles = ["reception"]
TOML
install -m 600 /dev/null /etc/myna-kiosk/reception.token
echo "$reception" >/etc/myna-kiosk/reception.token
mkdir -p /etc/systemd/system/myna-kiosk.service.d
printf '[Service]\nLoadCredential=reception.token:/etc/myna-kiosk/reception.token\n' \
  >/etc/systemd/system/myna-kiosk.service.d/credentials.conf
systemctl daemon-reload
systemctl restart myna-kiosk
wait_for 30 "the reader in health" sh -c "curl -fsS $api/v1/health | jq -e '.reader | startswith(\"ok\")'"
systemd-run -q --unit=virtual-card --collect $bench virtual-card
wait_for 20 "choose_method" prompt_is choose_method
post "$kiosk" /v1/session/method '{"method":"pin"}'
wait_for 20 "enter_pin" prompt_is enter_pin
# The PIN through the Unix socket (a kiosk screen on the same machine), the rest over TCP.
post "$kiosk" /v1/session/pin '{"pin":"1234"}' --unix-socket /run/myna-kiosk/api.sock
wait_for 20 "consent" prompt_is consent
post "$kiosk" /v1/session/consent '{"medication":true,"limit_amount":true}'
wait_for 20 "take_card" prompt_is take_card
systemctl stop virtual-card
wait_for 20 "place_card" prompt_is place_card
result=$(get "$reception" '/v1/results?after=0' | jq -c '.results[0] | {id, outcome, method: .auth.method}')
[ "$(jq -r '.outcome + " " + .method' <<<"$result")" = "verified pin" ] || fail "the result is $result"
echo "result: $result"
# Native journal entries: a priority, our fields, no timestamp in the text, one "reader ready".
entries=$(journalctl "_PID=$(prop MainPID)" -o json --no-pager)
[ "$(jq -s '[.[] | select(.MESSAGE == "card reader ready")] | length' <<<"$entries")" = 1 ] \
  || fail "\"card reader ready\" is not logged once: $(jq -r .MESSAGE <<<"$entries")"
jq -se 'any(.[]; .MESSAGE == "session finished" and .PRIORITY == "5" and (.MYNA_SESSION | startswith("s-")))' <<<"$entries" >/dev/null \
  || fail "no journal entry with PRIORITY and MYNA_SESSION: $(jq -c . <<<"$entries" | tail -n 3)"
echo "journal: native entries with PRIORITY and MYNA_SESSION; one 'card reader ready'"

step "systemctl reload: a good file applies, a broken one is refused and the old one stays"
systemctl reload myna-kiosk || fail "reload of a good file failed"
wait_for 10 "STATUS after the reload" sh -c "[ \"\$(systemctl show -p StatusText --value myna-kiosk)\" = 'configuration reloaded' ]"
cp "$cfg" /root/config.good
echo "this is not toml" >>"$cfg"
pid=$(prop MainPID)
if systemctl reload myna-kiosk 2>/dev/null; then fail "reload of a broken file succeeded"; fi
systemctl is-active --quiet myna-kiosk || fail "a refused reload stopped the service"
[ "$(prop MainPID)" = "$pid" ] || fail "a refused reload restarted the service"
get "$reception" '/v1/results?after=0' >/dev/null || fail "the running configuration's tokens no longer work"
cp /root/config.good "$cfg"
echo "broken file refused by ExecReload's check-config; service still running with the old tokens"

step "SIGKILL: systemd restarts the kiosk; the result is still there"
restarts=$(prop NRestarts)
systemctl kill -s KILL myna-kiosk
wait_for 30 "a restart after SIGKILL" sh -c "[ \$(systemctl show -p NRestarts --value myna-kiosk) -gt $restarts ] && systemctl is-active --quiet myna-kiosk"
wait_for 20 "the API after the restart" get "$reception" '/v1/results?after=0'
[ "$(get "$reception" '/v1/results?after=0' | jq -r '.results[0].id')" = "$(jq -r .id <<<"$result")" ] \
  || fail "the result did not survive SIGKILL"
echo "restarted; result $(jq -r .id <<<"$result") kept"

step "a hung driver: the watchdog restarts the service (bench build's --test-hang-driver-after)"
cat >/etc/systemd/system/myna-kiosk.service.d/hang.conf <<UNIT
[Service]
ExecStart=
ExecStart=$bench run --mock --config $cfg --state-dir /var/lib/myna-kiosk/bench --test-hang-driver-after 2
UNIT
systemctl daemon-reload
systemctl restart myna-kiosk
restarts=$(prop NRestarts)
wait_for 40 "a watchdog restart" sh -c "[ \$(systemctl show -p NRestarts --value myna-kiosk) -gt $restarts ]"
journalctl -u myna-kiosk --no-pager -o cat | grep -q 'Watchdog timeout' || fail "the restart was not the watchdog's"
rm /etc/systemd/system/myna-kiosk.service.d/hang.conf
systemctl daemon-reload
systemctl restart myna-kiosk
echo "watchdog timeout, restarted"

step "a configuration that does not load: exit 78, and no restart loop (RestartPreventExitStatus=78)"
cp "$cfg" /root/config.good
echo "this is not toml" >>"$cfg"
restarts=$(prop NRestarts)
systemctl restart myna-kiosk 2>/dev/null && fail "the service started with a broken file"
sleep 5 # RestartSec=2: a restart would have come by now
[ "$(prop ActiveState)" = failed ] || fail "the service is $(prop ActiveState), not failed"
[ "$(prop ExecMainStatus)" = 78 ] || fail "exit status $(prop ExecMainStatus), not 78"
[ "$(prop NRestarts)" = "$restarts" ] || fail "systemd restarted a service whose configuration does not load"
cp /root/config.good "$cfg"
systemctl restart myna-kiosk
echo "failed with 78, not restarted; starts again once the file is fixed"

step "apt-get purge: the service goes, and the journal of check-ins (health data) with it"
rm -f /etc/myna-kiosk/test-ca.pem /etc/myna-kiosk/reception.token
rm -r /etc/systemd/system/myna-kiosk.service.d
apt-get purge -y -qq myna-kiosk >/dev/null || fail "purge failed"
systemctl is-active --quiet myna-kiosk && fail "the service still runs after purge"
[ ! -e /var/lib/myna-kiosk ] && [ ! -e /var/lib/private/myna-kiosk ] || fail "state left after purge: $(ls -d /var/lib/myna-kiosk /var/lib/private/myna-kiosk 2>/dev/null)"
[ ! -e "$cfg" ] || fail "$cfg left after purge"
echo "booted checks ok"
