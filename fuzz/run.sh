#!/usr/bin/env bash
# Short, bounded fuzzing of every target: the CI smoke run (see fuzz/README.md for long runs).
#
#   fuzz/run.sh [SECONDS_PER_TARGET]      default 20
#   FUZZ_TARGETS="config api_request" fuzz/run.sh 60     only some targets
#
# Installs cargo-fuzz if missing, builds all targets once, runs each for the given time on a
# scratch copy of its checked-in corpus (fuzz/corpus stays untouched), prints executions and
# coverage per target, and exits non-zero if any target crashed (the input is kept under
# fuzz/artifacts/<target>/).
set -euo pipefail

SECS="${1:-20}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# libfuzzer-sys builds libFuzzer, which is C++.
# shellcheck source=tests/apt.sh
source ../tests/apt.sh
apt_install g++

CARGO_FUZZ_VERSION="0.13.2"
# The machine has only the stable toolchain: cargo-fuzz passes -Z flags (and -Zsanitizer when
# a sanitizer is on), which stable rustc accepts with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

TARGETS="${FUZZ_TARGETS:-$(cargo fuzz list)}"

# Build flags, one place for build and run:
# - no sanitizer: the code under test is safe Rust (the one C dependency, SQLite, is not
#   instrumented by cargo-fuzz either), so ASan would find little for its cost, and the
#   instrumented build of this dependency tree took over 12 minutes on 2 shared cores. Panics,
#   failed assertions, overflow checks and libFuzzer's own OOM/timeout detection still crash.
# - debug assertions on (-a): integer overflow and debug_assert! are bugs found, not wraps.
# - 16 codegen units instead of cargo-fuzz's 1, and opt-level 1 (Cargo.toml): a build that
#   fits CI; throughput is still thousands of executions per second on the card targets.
FLAGS=(-O -a --sanitizer none --codegen-units 16)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

start=$(date +%s)
echo "== building: $(echo $TARGETS | tr '\n' ' ')"
if ! cargo fuzz build "${FLAGS[@]}" >"$scratch/build.log" 2>&1; then
    tail -n 80 "$scratch/build.log"
    echo "fuzz build failed"
    exit 1
fi
built=$(date +%s)
echo "== built in $((built - start)) s"
failed=()
summary=()
for t in $TARGETS; do
    mkdir -p "$scratch/$t" "artifacts/$t"
    log="$scratch/$t.log"
    echo "== $t: ${SECS}s"
    # New inputs go to the scratch dir (first), the checked-in corpus is only read (second).
    # -rss_limit_mb and -timeout turn runaway memory or a hang into a crash.
    set +e
    cargo fuzz run "${FLAGS[@]}" "$t" "$scratch/$t" "corpus/$t" -- \
        -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"$log" 2>&1
    rc=$?
    set -e
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' || true)
    cov=$(echo "$done_line" | grep -oE 'cov: [0-9]+' | awk '{print $2}' || true)
    ft=$(echo "$done_line" | grep -oE 'ft: [0-9]+' | awk '{print $2}' || true)
    corp=$(echo "$done_line" | grep -oE 'corp: [0-9]+' | awk '{print $2}' || true)
    rate=$(echo "$done_line" | grep -oE 'exec/s: [0-9]+' | awk '{print $2}' || true)
    line=$(printf '%-14s execs %-9s exec/s %-7s cov %-6s ft %-6s corpus %s' \
        "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        line="$line  CRASH (exit $rc)"
        echo "---- $t output (tail) ----"
        tail -n 60 "$log"
        echo "---- crash inputs: $(ls "artifacts/$t" 2>/dev/null | tr '\n' ' ')"
    fi
    summary+=("$line")
    echo "$line"
done

end=$(date +%s)
echo
echo "== fuzz summary (${SECS}s per target; build $((built - start)) s, total $((end - start)) s)"
for l in "${summary[@]}"; do echo "$l"; done
if [ "${#failed[@]}" -ne 0 ]; then
    echo "CRASHED: ${failed[*]} (inputs under fuzz/artifacts/; see fuzz/README.md to make each a regression test)"
    exit 1
fi
echo "no crash in ${#summary[@]} targets"
