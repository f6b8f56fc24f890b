#!/bin/sh
# Builds spytop and runs the whole test suite (unit and functional tests),
# then prints one line "N passed, N failed, N skipped". Exit 0 when nothing
# failed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
jobs=$(nproc 2>/dev/null || echo 2)
status=0
make -j"$jobs" check >check.out 2>&1 || status=$?
# Failed tests' logs, so a CI reader sees why.
for log in $(find tests -name '*.log' ! -name test-suite.log | sort); do
    trs=${log%.log}.trs
    if [ -f "$trs" ] && grep -Eq '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
        echo "=== $log"
        tail -n 40 "$log"
    fi
done
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' check.out | sort -k2 || true
# One result per test case (TAP) or per test script.
count() { cat $(find tests -name '*.trs') 2>/dev/null | grep -Ec "^:test-result: ($1)" || true; }
passed=$(count 'PASS|XFAIL')
failed=$(count 'FAIL|ERROR|XPASS')
skipped=$(count 'SKIP')
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
    # make check failed before or outside the tests (a build error).
    tail -n 30 check.out
    failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
