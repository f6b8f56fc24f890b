#!/bin/sh
# Builds spytop and runs the whole test suite (unit and functional tests),
# then prints one line "N passed, N failed, N skipped". Exit 0 when nothing
# failed. With --sanitizers, a second build with AddressSanitizer and
# UndefinedBehaviorSanitizer (in build-sanitizers/) runs the suite again,
# and the line counts both runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

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
            echo "=== $dir/$log"
            tail -n 40 "$log"
        fi
    done
    grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' check.out | sort -k2 || true
    count() { cat $(find tests -name '*.trs') 2>/dev/null | grep -Ec "^:test-result: ($1)" || true; }
    passed=$(count 'PASS|XFAIL')
    failed=$(count 'FAIL|ERROR|XPASS')
    skipped=$(count 'SKIP')
    if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
        tail -n 30 check.out # make check failed outside the tests (a build error)
        failed=1
    fi
    echo "$passed $failed $skipped" >counts
}

sanitizers=0
[ "${1:-}" = --sanitizers ] && sanitizers=1

run_suite "$top/build"
set -- $(cat "$top/build/counts")
passed=$1 failed=$2 skipped=$3
if [ "$sanitizers" = 1 ]; then
    run_suite "$top/build-sanitizers" --enable-sanitizers
    set -- $(cat "$top/build-sanitizers/counts")
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
