#!/bin/sh
# Extra suite: make distcheck in BUILD_DIR. The release tarball is built,
# unpacked read-only, configured out of tree, built, tested (make check),
# installed under a scratch prefix, uninstalled and cleaned, as automake
# checks it. That make check is the normal build's test run in
# scripts/check.sh (every test once, the stress tests at full volume, from
# the tarball, so a file missing from it fails a test): its results are
# relayed as "PASS: tests/..." / "FAIL: tests/..." / "SKIP: tests/..."
# lines, then "PASS: distcheck" or "FAIL: distcheck" and how long it took.
# Usage: distcheck.sh BUILD_DIR [SANITIZER_BUILD_DIR]
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR [SANITIZER_BUILD_DIR]}" && pwd)
start=$(date +%s)
# No -j: the functional tests measure shares of CPU time and must run one
# at a time.
status=0
make -C "$build" distcheck >"$build/distcheck.out" 2>&1 || status=$?
# The tests' results, as the harness printed them: ERROR and XPASS are
# failures, XFAIL a pass.
sed -n -e 's/^\(PASS\|FAIL\|SKIP\): /&/p' -e 's/^XFAIL: /PASS: /p' -e 's/^\(ERROR\|XPASS\): /FAIL: /p' \
    "$build/distcheck.out" | sort -k2
echo "# make distcheck took $(($(date +%s) - start)) s"
if [ "$status" = 0 ]; then
    grep -A2 'archives ready for distribution' "$build/distcheck.out" | sed 's/^/# /'
    echo "PASS: distcheck"
    exit 0
fi
# What failed, as log lines ("# "): a line of its own starting with
# "FAIL: " would count as one more failure. The end of distcheck's output
# first, then the failed tests' logs (the tree stays when distcheck fails).
tail -n 30 "$build/distcheck.out" | sed 's/^/# /'
grep -E '^(FAIL|ERROR|XPASS):' "$build/distcheck.out" | sed 's/^[A-Z]*: \([^ ]*\).*/\1/' |
    sort -u | while read -r test; do
        found=$(find "$build" -path "*/_build/*" -name "$(basename "$test" .sh).log" | head -n 1)
        [ -n "$found" ] && { echo "# === $found"; tail -n 40 "$found" | sed 's/^/# /'; }
    done
echo "FAIL: distcheck"
exit 0
