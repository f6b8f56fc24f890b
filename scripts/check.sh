#!/bin/sh
# Builds spytop and runs the whole test suite, as CI runs it, then prints
# one line "N passed, N failed" (after "N skipped"); exits 0 when nothing
# failed.
#
# The suite: make check (unit and functional tests) on a normal build in
# build/, again on an AddressSanitizer + UndefinedBehaviorSanitizer build in
# build-sanitizers/, then each scripts/suites/*.sh (fuzzing, valgrind,
# packages...), which print "PASS: name", "FAIL: name" or "SKIP: name" lines.
# --quick runs make check on the normal build only.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# What failed, in detail: shown again at the very end, next to the totals,
# where a CI page that shows only the tail of the output still has it.
failures=$(mktemp "${TMPDIR:-/tmp}/spytop-failures.XXXXXX")
trap 'rm -f "$failures"' EXIT

# run_suite DIR [CONFIGURE ARGS...]: builds in DIR, runs make check there,
# shows the logs of what failed; leaves "passed failed skipped" in DIR/counts.
run_suite() {
    dir=$1
    shift
    SPYTOP_BUILD_DIR=$dir "$top/scripts/build.sh" "$@"
    cd "$dir"
    # One test at a time: several tests measure shares of time within a
    # few points, and tests that spin beside them on 2 cores would skew them.
    status=0
    make -j1 check >check.out 2>&1 || status=$?
    for log in $(find tests -name '*.log' ! -name test-suite.log | sort); do
        trs=${log%.log}.trs
        if [ -f "$trs" ] && grep -Eq '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
            { echo "=== $dir/$log"; tail -n 40 "$log"; } | tee -a "$failures"
        fi
    done
    grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' check.out | sort -k2 || true
    count() { cat $(find tests -name '*.trs') 2>/dev/null | grep -Ec "^:test-result: ($1)" || true; }
    # Names of their own: passed/failed/skipped hold the running totals.
    suite_passed=$(count 'PASS|XFAIL')
    suite_failed=$(count 'FAIL|ERROR|XPASS')
    suite_skipped=$(count 'SKIP')
    if [ "$status" != 0 ] && [ "$suite_failed" = 0 ]; then
        # make check failed outside the tests (a build error)
        { echo "=== $dir/check.out"; tail -n 30 check.out; } | tee -a "$failures"
        suite_failed=1
    fi
    echo "$suite_passed $suite_failed $suite_skipped" >counts
}

# run_extra SCRIPT: one extra suite; adds its counts to passed/failed/skipped.
run_extra() {
    name=$(basename "$1" .sh)
    out=$top/build/suite-$name.out
    status=0
    "$1" "$top/build" "$top/build-sanitizers" >"$out" 2>&1 || status=$?
    p=$(grep -c '^PASS: ' "$out" || true)
    f=$(grep -c '^FAIL: ' "$out" || true)
    s=$(grep -c '^SKIP: ' "$out" || true)
    grep -E '^(PASS|FAIL|SKIP): ' "$out" || true
    if [ "$status" != 0 ] && [ "$f" = 0 ]; then
        echo "FAIL: $name exited $status"
        f=1
    fi
    if [ "$f" != 0 ]; then
        { echo "=== $out"; tail -n 40 "$out"; } | tee -a "$failures"
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

full=1
case ${1:-} in
--quick) full=0 ;;
--sanitizers | '') ;;
*) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

run_suite "$top/build"
set -- $(cat "$top/build/counts")
passed=$1 failed=$2 skipped=$3
if [ "$full" = 1 ]; then
    # The sanitizer build runs every test; the two stress tests at a
    # smaller volume (what they stress is the target, not more code).
    export SPYTOP_TEST_KILLS=30 SPYTOP_TEST_SIGNALS=5000
    run_suite "$top/build-sanitizers" --enable-sanitizers
    unset SPYTOP_TEST_KILLS SPYTOP_TEST_SIGNALS
    set -- $(cat "$top/build-sanitizers/counts")
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
    for suite in "$top"/scripts/suites/*.sh; do
        [ -e "$suite" ] && run_extra "$suite"
    done
fi
if [ -s "$failures" ]; then
    echo "--- what failed, again:"
    cat "$failures"
fi
echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
