#!/bin/sh
# CI suite: fuzzes the recording reader (with the reports behind it) and
# the /proc parsers for a bounded time. Builds spytop with --enable-fuzzing
# (clang) in build-fuzz/, makes the seed corpora (make fuzz-seeds), then
# runs every harness of tests/fuzz/ at once for SPYTOP_FUZZ_SECONDS each
# (default 60). Prints "PASS: fuzz-HARNESS" when it found nothing, else
# "FAIL: fuzz-HARNESS", the reproducer's path and the crash's stack.
#
#   scripts/suites/fuzz.sh [BUILD_DIR SANITIZER_BUILD_DIR]   (both unused)
#
# A found input: replay it with build-fuzz/tests/fuzz/replay_HARNESS FILE
# (or fuzz_HARNESS FILE), fix the bug, and commit the input under
# tests/fuzz/regressions/HARNESS/ with the fix. Corpora stay in
# build-fuzz/fuzz/corpus/ between local runs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${SPYTOP_FUZZ_BUILD_DIR:-$top/build-fuzz}
seconds=${SPYTOP_FUZZ_SECONDS:-60}
harnesses="recfile recchunks proc"
start=$(date +%s)

mkdir -p "$dir"
if ! SPYTOP_BUILD_DIR=$dir "$top/scripts/build.sh" --enable-fuzzing >"$dir/build.out" 2>&1; then
    tail -n 40 "$dir/build.out"
    echo "FAIL: fuzz-build"
    exit 1
fi
if ! make -C "$dir" fuzz-seeds >"$dir/seeds.out" 2>&1; then
    tail -n 40 "$dir/seeds.out"
    echo "FAIL: fuzz-seeds"
    exit 1
fi
grep '^fuzz-seeds:' "$dir/seeds.out"

# Inputs are kept small: a few KiB of recording already hold a thousand
# samples, and the reader's and reports' cost grows with them (16 KiB
# halved the rate of fuzz_recchunks against 8 KiB).
max_len=8192

out=$dir/fuzz/out
rm -rf "$out"
mkdir -p "$out"
pids=""
for h in $harnesses; do
    corpus=$dir/fuzz/corpus/$h
    mkdir -p "$corpus"
    regressions=$top/tests/fuzz/regressions/$h
    [ -d "$regressions" ] || regressions=""
    # shellcheck disable=SC2086
    "$dir/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -max_len=$max_len \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/$h-" "$corpus" "$dir/fuzz/seeds/$h" $regressions \
        >"$out/$h.log" 2>&1 &
    pids="$pids $!"
done

status=0
set -- $pids
for h in $harnesses; do
    rc=0
    wait "$1" || rc=$?
    shift
    log=$out/$h.log
    # The last status line ("#N DONE cov: … corp: N/SIZE …") and the rate.
    summary=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|pulse)' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log")
    echo "fuzz-$h: ${rate:-?} exec/s; $summary"
    found=$(ls "$out/$h-"* 2>/dev/null)
    if [ "$rc" = 0 ] && [ -z "$found" ]; then
        echo "PASS: fuzz-$h"
        continue
    fi
    status=1
    echo "FAIL: fuzz-$h (exit $rc)"
    for f in $found; do
        echo "  reproducer: $f"
        echo "  replay:     $dir/tests/fuzz/replay_$h $f"
    done
    # The report: from the first line of the sanitizer's or the check's
    # output to the sanitizer's summary.
    sed -n '/^==[0-9]*==\|runtime error\|FUZZ_CHECK\|deadly signal\|ERROR: libFuzzer/,/^SUMMARY/p' \
        "$log" | head -n 80
done
echo "fuzz: $(($(date +%s) - start)) s (build, seeds, ${seconds} s of fuzzing)"
exit $status
