#!/usr/bin/env bash
# Guard: every external program that README's two commands start is either installed by them or
# part of a base Debian system, as tests/programs.txt declares. Run first by tests/run-all.sh
# (seconds), so a missing install step fails at once on any machine, not only on a bare one.
#
#   bash tests/check-programs.sh
#
# It reads the commands in the shell scripts (parsed by shfmt, not guessed with a regex), the
# programs the Rust tests, benches and build scripts start (`Command::new("…")`; a program
# named by a variable carries a `// runs: PROG…` comment just above), the browser runner's
# executable and the hostile runner's subprocesses. It fails with the program's name and where
# it is used when the program is not in tests/programs.txt, or when its package is installed
# by no `apt_install` (or `cargo install`) line of those scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tests/apt.sh
source tests/apt.sh
apt_install shfmt jq

# What README's two commands run: the CI entry, the test scripts, the fuzz smoke and the mock run.
# (hal/virtual-card/fixtures/make-fixtures.sh is a developer's tool that no command runs.)
scripts=(.ci/run daemon/run-mock.sh fuzz/run.sh)
while IFS= read -r f; do scripts+=("$f"); done < <(find tests -name '*.sh' -not -path '*/node_modules/*' | sort)
rust_dirs=(daemon hal api tests fuzz)

manifest=tests/programs.txt
declare -A source_of=()
while read -r prog src _; do
  [ -z "$prog" ] || [ "${prog:0:1}" = "#" ] && continue
  source_of[$prog]=$src
done <"$manifest"

uses=$(mktemp)
trap 'rm -f "$uses"' EXIT

# Shell: every simple command's first word, through the wrappers that run another program.
# Words are rendered from shfmt's syntax tree: literals as they are, parameters as $NAME.
jq_words='
  def word: [.Parts[]? | if .Type == "Lit" then .Value
                         elif .Type == "SglQuoted" then .Value
                         elif .Type == "DblQuoted" then ([.Parts[]? | if .Type == "Lit" then .Value else "$" end] | join(""))
                         else "$" end] | join("");
  .. | objects | select(.Type == "CallExpr" and (.Args | length) > 0)
     | [(.Pos.Line | tostring)] + [.Args[] | word] | join("\u001f")'
for f in "${scripts[@]}"; do
  if ! tree=$(shfmt --to-json <"$f" 2>&1); then
    echo "check-programs: shfmt cannot parse $f: $tree" >&2
    exit 1
  fi
  jq -r "$jq_words" <<<"$tree" | while IFS=$'\x1f' read -r -a w; do
    line=${w[0]}
    i=1
    # Skip wrappers and their options to reach the program they run.
    while [ $i -lt ${#w[@]} ]; do
      case "${w[$i]}" in
        exec | command | '$sudo' | sudo | nice | nohup) i=$((i + 1)) ;;
        env) i=$((i + 1)); while [ $i -lt ${#w[@]} ] && [[ ${w[$i]} == *=* || ${w[$i]} == -* ]]; do i=$((i + 1)); done ;;
        timeout) i=$((i + 1)); while [ $i -lt ${#w[@]} ] && [[ ${w[$i]} == -* ]]; do i=$((i + 1)); done; i=$((i + 1)) ;;
        unshare) i=$((i + 1)); while [ $i -lt ${#w[@]} ] && [[ ${w[$i]} == -* ]]; do i=$((i + 1)); done ;;
        *) break ;;
      esac
    done
    [ $i -lt ${#w[@]} ] || continue
    prog=${w[$i]}
    # `command -v X` only asks; `cargo fuzz` and `cargo deb` are installed programs of their own.
    [ "${w[1]}" = command ] && [ "${w[2]:-}" = -v ] && continue
    if [ "$prog" = cargo ] && [[ ${w[$((i + 1))]:-} =~ ^(fuzz|deb)$ ]]; then prog="cargo-${w[$((i + 1))]}"; fi
    echo "$prog $f:$line"
  done
done >>"$uses"

# Shell builtins, keywords and the scripts' own functions are no programs.
builtins=" . : [ [[ alias bg break builtin cd command compgen complete continue declare dirs disown echo
  enable eval exec exit export false fc fg getopts hash help history jobs let local logout mapfile popd
  printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap true
  type typeset ulimit umask unalias unset wait "
builtins=$(tr -s ' \n' '  ' <<<"$builtins")
functions=" $(grep -hoE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*\(\)' "${scripts[@]}" | tr -d ' ()' | sort -u | tr '\n' ' ') "

# Rust: Command::new("prog"); a variable needs a `// runs:` comment on one of the 6 lines above.
while IFS= read -r hit; do
  file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}; arg=${rest#*:}
  case "$arg" in
    \"*) arg=${arg:1}; echo "$(basename "${arg%\"}") $file:$line" ;;
    [0-9]* | env!* | *join\(* | INS_*) ;; # APDU builders, our own binaries and scripts
    *)
      runs=$(sed -n "$((line > 6 ? line - 6 : 1)),${line}p" "$file" | { grep -oE "// runs: .*" || true; } | tail -1 | cut -d: -f2- | cut -d"(" -f1)
      if [ -z "$runs" ]; then
        echo "check-programs: $file:$line starts a program named by a variable ($arg);" \
          "say which with a '// runs: PROG…' comment above it" >&2
        echo "!missing-annotation $file:$line" ;
      fi
      for p in $runs; do [ "$p" = - ] || echo "$p $file:$line"; done
      ;;
  esac
done < <(grep -rnoE --include='*.rs' 'Command::new\([^)]*' "${rust_dirs[@]}" --exclude-dir=target \
  | sed -E 's/Command::new\(//') >>"$uses"

# The browser runner's executable and the hostile runner's subprocesses.
grep -HnoE "executablePath: *'[^']+'" tests/browser/*.mjs | sed -E "s|^([^:]+):([0-9]+):.*'([^']+)'|\3 \1:\2|" \
  | while read -r p where; do echo "$(basename "$p") $where"; done >>"$uses"
grep -HnoE "(subprocess\.[a-z_]+|Popen)\(\[ *['\"][^'\"]+" tests/hostile/*.py | sed -E "s|^([^:]+):([0-9]+):.*['\"]([^'\"]+)$|\3 \1:\2|" >>"$uses" || true

# What the scripts install: apt_install arguments and cargo install crates.
installed=" $(for f in "${scripts[@]}"; do shfmt --to-json <"$f" | jq -r "$jq_words"; done \
  | awk -F'\x1f' '$2 == "apt_install" { for (i = 3; i <= NF; i++) print $i }
                  $2 == "cargo" && $3 == "install" { for (i = 4; i <= NF; i++) if ($i !~ /^-/ && $(i-1) != "--version") print "cargo:" $i }' \
  | sort -u | tr '\n' ' ') "

fail=0
declare -A seen=() checked=()
while read -r prog where; do
  [ "$prog" = "!missing-annotation" ] && { fail=1; continue; }
  case "$prog" in '$'* | ./* | /* | *'$'* | '') continue ;; esac # variables and our own files
  [[ $builtins == *" $prog "* || $functions == *" $prog "* ]] && continue
  checked[$prog]=1
  key="$prog@$where"
  [ -n "${seen[$key]:-}" ] && continue
  seen[$key]=1
  src=${source_of[$prog]:-}
  case "$src" in
    "")
      echo "check-programs: '$prog' (used at $where) is not in $manifest: install it in the test command" \
        "and name its package there, or mark it base if every Debian system has it" >&2
      fail=1
      ;;
    base | toolchain | npm | venv | optional) ;;
    cargo:*)
      [[ $installed == *" $src "* ]] || {
        echo "check-programs: '$prog' (used at $where) comes from '${src#cargo:}', which no 'cargo install' line installs" >&2
        fail=1
      }
      ;;
    *)
      [[ $installed == *" $src "* ]] || {
        echo "check-programs: '$prog' (used at $where) comes from the Debian package '$src', which no apt_install line installs" >&2
        fail=1
      }
      ;;
  esac
done < <(sort -u "$uses")

# Packages the manifest names must be installed even when no script line names the program
# (the C compiler cargo links with; the dependencies README promises).
while read -r prog src _; do
  [ -z "$prog" ] || [ "${prog:0:1}" = "#" ] && continue
  case "$src" in base | toolchain | npm | venv | optional | cargo:*) continue ;; esac
  [[ $installed == *" $src "* ]] || {
    echo "check-programs: $manifest says '$prog' comes from '$src', but no apt_install line installs '$src'" >&2
    fail=1
  }
done <"$manifest"

if [ $fail -ne 0 ]; then
  echo "check-programs: FAILED (see above)" >&2
  exit 1
fi
echo "check-programs: ${#checked[@]} programs in ${#scripts[@]} scripts and the Rust sources, each installed or base"
