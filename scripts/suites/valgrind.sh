#!/bin/sh
# CI suite: spytop dump, a short spytop record, spytop top --batch and
# spytop report (every format, of the recording whole and cut short) under
# valgrind's memcheck, against a target this script starts: no memory
# errors, no definite or indirect leaks ("still reachable" is allowed: the
# libraries' caches), and the target left running and untraced.
#
#   scripts/suites/valgrind.sh [BUILD_DIR [SANITIZER_BUILD_DIR]]
#
# Uses BUILD_DIR (default build/), building it if needed. valgrind slows
# spytop some 20 to 50 times, so durations are short and rates low: the
# point is every code path once, not the sampling rate.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
export LC_ALL=C
unset DEBUGINFOD_URLS

if ! command -v valgrind >/dev/null; then
    echo "SKIP: valgrind (valgrind is not installed; scripts/deps.sh installs it)"
    exit 0
fi
if [ ! -x "$build/spytop" ]; then
    SPYTOP_BUILD_DIR=$build "$top/scripts/build.sh" || { echo "FAIL: valgrind-build"; exit 1; }
fi
make -C "$build" tests/targets/threads >/dev/null 2>&1 || { echo "FAIL: valgrind-build"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/spytop-valgrind.XXXXXX")
target=""
cleanup() {
    [ -n "$target" ] && kill -KILL "$target" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
start=$(date +%s)

# A target with a known shape: five threads, four of them busy; niced, or
# its busy threads starve spytop under valgrind on 2 cores (a first tick
# that symbolizes for seconds, then no time left for another).
nice -n 19 "$build/tests/targets/threads" >"$work/target.out" 2>&1 &
target=$!
i=0
while ! grep -q '^ready' "$work/target.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 500 ] || ! kill -0 "$target" 2>/dev/null; then
        echo "FAIL: valgrind-target (the threads target did not start)"
        exit 1
    fi
    sleep 0.01
done

failed=0
# vg NAME STATUS ARGS...: spytop ARGS under memcheck, expected to exit
# with STATUS; PASS or FAIL with the logs.
vg() {
    name=$1
    want=$2
    shift 2
    t0=$(date +%s)
    rc=0
    valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --log-file="$work/$name.vg" \
        "$build/spytop" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$work/$name.vg")
    echo "valgrind-$name: spytop $* -> exit $rc, ${errors:-?} errors, $(($(date +%s) - t0)) s"
    if [ "$rc" = "$want" ] && [ "$errors" = 0 ]; then
        echo "PASS: valgrind-$name"
        return 0
    fi
    if [ "$rc" != 99 ] && grep -q 'permission denied' "$work/$name.err"; then
        echo "SKIP: valgrind-$name (ptrace is not permitted: $(cat "$work/$name.err"))"
        return 0
    fi
    echo "FAIL: valgrind-$name"
    sed 's/^/    /' "$work/$name.err" | tail -n 10
    grep -v '^==[0-9]*== *$' "$work/$name.vg" | sed 's/^/    /' | tail -n 60
    failed=1
    return 1
}

# untouched NAME: the target still runs, untraced and not stopped.
untouched() {
    state=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$target/status" 2>/dev/null)
    tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$target/status" 2>/dev/null)
    case "$state:$tracer" in
    [RS]:0) ;;
    *)
        echo "FAIL: valgrind-$1 left the target in state '$state', TracerPid '$tracer'"
        failed=1
        ;;
    esac
}

vg dump 0 dump -p "$target" && untouched dump
vg record 0 record -p "$target" -r 50 -d 3 -o "$work/run.spytop" && untouched record
vg top-batch 0 top -p "$target" --batch --iterations 2 --delay 0.5 && untouched top-batch

if [ -s "$work/run.spytop" ]; then
    # A user runs report on a cut file too: half of it.
    size=$(stat -c %s "$work/run.spytop")
    head -c $((size / 2)) "$work/run.spytop" >"$work/cut.spytop"
    for format in text collapsed speedscope pprof svg; do
        vg "report-$format" 0 report "$work/run.spytop" --format "$format" -o "$work/run.$format"
    done
    # Exit 1: a partial result, with what was recovered.
    vg report-cut 1 report "$work/cut.spytop" --by-line
    "$build/spytop" report "$work/run.spytop" | sed -n 2p
else
    echo "SKIP: valgrind-report (no recording to report on)"
fi
echo "valgrind: $(($(date +%s) - start)) s"
exit $failed
