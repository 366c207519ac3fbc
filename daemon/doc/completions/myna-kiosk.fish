# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_myna_kiosk_global_optspecs
    string join \n log-json h/help V/version
end

function __fish_myna_kiosk_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_myna_kiosk_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_myna_kiosk_using_subcommand
    set -l cmd (__fish_myna_kiosk_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -s V -l version -d 'Print version'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "run" -d 'Run the kiosk daemon'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "check-config" -d 'Check a configuration file and every file it names (TLS, trust anchors, tokens) without starting the daemon. Exits 78 when something does not load'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "readers" -d 'List the card readers pcscd sees and mark the one the kiosk uses'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "indicators" -d 'Status LEDs and buzzer: `indicators test` walks every signal'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "completions" -d 'Print shell completions (the package installs bash, zsh and fish ones)'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "manpage" -d 'Print the manual page, myna-kiosk(8), as roff (the package installs it)'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "virtual-card" -d 'Test and bench tool: serve the virtual My Number card on a vpcd reader (never on a kiosk: vpcd listens on every interface)'
complete -c myna-kiosk -n "__fish_myna_kiosk_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l config -d 'The configuration file (default /etc/myna-kiosk/config.toml; with --mock only if given)' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l listen -d 'Address of the HTTP API (overrides [api] listen)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l unix -d 'Also serve the API on this Unix socket (overrides [api] unix_socket)' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l state-dir -d 'Where the daemon keeps its journal (and, with --mock, the generated bench tokens)' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l tls-cert -d 'PEM certificate chain for TLS on --listen (required for a non-loopback address)' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l tls-key -d 'PEM private key for --tls-cert' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l tap-interval -d 'With --autopilot: seconds between patients' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l test-hang-driver-after -d 'Test hook (--mock only): the session driver hangs after this many seconds' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l mock -d 'Use the virtual card and mock indicators instead of the reader and GPIO'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l allow-plain-http-on-lan -d 'Accept plain HTTP on a non-loopback address (only on a trusted clinic LAN)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l autopilot -d 'With --mock: an automated patient taps every virtual card profile in turn and answers every prompt (PIN, face, staff, consent) at once'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l once -d 'With --autopilot: one round of profiles, then exit'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand run" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand check-config" -l config -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand check-config" -l print -d 'Print the effective configuration (defaults filled in, tokens redacted)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand check-config" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand check-config" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand readers" -l config -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand readers" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand readers" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and not __fish_seen_subcommand_from test help" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and not __fish_seen_subcommand_from test help" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and not __fish_seen_subcommand_from test help" -f -a "test" -d 'Walk every signal in order (its name printed first), then switch everything off'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and not __fish_seen_subcommand_from test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from test" -l config -d 'The configuration file (default /etc/myna-kiosk/config.toml; with --mock only if given)' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from test" -l seconds -d 'Seconds each signal plays (fractions allowed)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from test" -l mock -d 'The mock backend: print the pin-level timeline of every signal'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from test" -l soft-pwm-probe -d 'Test seam (bench builds): GPIO logic with a passive buzzer on pins whose soft PWM makes rppal\'s system calls, for the syscall audit off a Pi'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from test" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from help" -f -a "test" -d 'Walk every signal in order (its name printed first), then switch everything off'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand indicators; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand completions" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand completions" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand manpage" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand manpage" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l vpcd -d 'vpcd\'s address (the vpcd entry\'s port in pcscd\'s reader config)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l profile -d 'valid, expiring-soon, grace, expired, pin-last-try, pin-locked, no-pin, juki, android, iphone, not-jpki' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l pin -d 'The card\'s PIN (4 digits)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l collation-b -d 'The card\'s 照合番号B (birth date YYMMDD + expiry YYYY + security code)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l remove-after-apdus -d 'Pull the card away when the APDU after this many arrives' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l apdu-latency-ms -d 'Added to every APDU (a real card: ~10 ms)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l sign-latency-ms -d 'Added to SIGN (a real card: ~400 ms)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l fault -d 'A broken card: `mute` stops answering, `garbage` answers nonsense (see --fault-after-apdus)' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l fault-after-apdus -d 'The fault starts with the APDU after this many' -r
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l write-test-ca -d 'Write the test CA that issued the card\'s certificate (PEM) here, for a kiosk\'s `[trust] anchors` on a bench (tests/booted/), and exit' -r -F
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l no-extended -d 'The card refuses extended-length APDUs'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l no-quickack -d 'Bench only: do not set TCP_QUICKACK (shows what it saves)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -l log-json -d 'Log as JSON lines instead of text (overrides [log] format)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand virtual-card" -s h -l help -d 'Print help'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "run" -d 'Run the kiosk daemon'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "check-config" -d 'Check a configuration file and every file it names (TLS, trust anchors, tokens) without starting the daemon. Exits 78 when something does not load'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "readers" -d 'List the card readers pcscd sees and mark the one the kiosk uses'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "indicators" -d 'Status LEDs and buzzer: `indicators test` walks every signal'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "completions" -d 'Print shell completions (the package installs bash, zsh and fish ones)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "manpage" -d 'Print the manual page, myna-kiosk(8), as roff (the package installs it)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "virtual-card" -d 'Test and bench tool: serve the virtual My Number card on a vpcd reader (never on a kiosk: vpcd listens on every interface)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and not __fish_seen_subcommand_from run check-config readers indicators completions manpage virtual-card help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c myna-kiosk -n "__fish_myna_kiosk_using_subcommand help; and __fish_seen_subcommand_from indicators" -f -a "test" -d 'Walk every signal in order (its name printed first), then switch everything off'
