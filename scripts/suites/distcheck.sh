#!/bin/sh
# Extra suite: make distcheck in BUILD_DIR. The release tarball is built,
# unpacked read-only, configured out of tree, built, tested (make check,
# once more), installed under a scratch prefix, uninstalled and cleaned, as
# automake checks it. Prints "PASS: distcheck" or "FAIL: distcheck" and how
# long it took. Usage: distcheck.sh BUILD_DIR [SANITIZER_BUILD_DIR]
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR [SANITIZER_BUILD_DIR]}" && pwd)
start=$(date +%s)
# No -j: the functional tests measure shares of CPU time and must run one
# at a time, as in scripts/check.sh.
# The tarball's make check runs every test once more; the stress tests at a
# small volume (the two builds before ran them in full).
export SPYTOP_TEST_KILLS=20 SPYTOP_TEST_SIGNALS=2000
if make -C "$build" distcheck >"$build/distcheck.out" 2>&1; then
    echo "# make distcheck took $(($(date +%s) - start)) s"
    grep -A2 'archives ready for distribution' "$build/distcheck.out" | sed 's/^/# /'
    echo "PASS: distcheck"
else
    # What failed, as log lines ("# "): a line of its own starting with
    # "FAIL: " would count as one more failure.
    echo "# make distcheck took $(($(date +%s) - start)) s"
    grep -E '^(FAIL|ERROR|XPASS):' "$build/distcheck.out" | sed 's/^/# /'
    grep -E '^(FAIL|ERROR|XPASS):' "$build/distcheck.out" | sed 's/^[A-Z]*: \([^ ]*\).*/\1/' |
        sort -u | while read -r test; do
            found=$(find "$build" -path "*/_build/*" -name "$(basename "$test" .sh).log" | head -n 1)
            [ -n "$found" ] && { echo "# === $found"; tail -n 30 "$found" | sed 's/^/# /'; }
        done
    tail -n 30 "$build/distcheck.out" | sed 's/^/# /'
    echo "FAIL: distcheck"
fi
exit 0
