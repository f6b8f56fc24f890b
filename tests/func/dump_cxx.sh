#!/bin/sh
# A C++ target built here by g++ whose frames have cleanups: their CIEs
# name a personality routine through the program's writable data, which is
# in no snapshot. The walk goes through them to _start (it used to end at
# the first such frame, "truncated"). Skipped without g++.
. "$(dirname "$0")/lib.sh"
require_ptrace

command -v g++ >/dev/null || skip "g++ is not installed (apt-get install g++)"
g++ -O2 -g -o "$WORK/cleanups" "$TESTS_SRCDIR/targets/cleanups.cc" 2>"$WORK/gxx.err" ||
    fail "g++ failed: $(cat "$WORK/gxx.err")"
# The premise: the frames' CIE has a personality ("zPLR").
readelf --debug-dump=frames "$WORK/cleanups" 2>/dev/null | grep -q 'Augmentation:.*"zPLR"' ||
    skip "g++ made no CIE with a personality here"

start_target cleanups "$WORK/cleanups"
tries=0
while :; do
    dump "$TARGET_PID"
    [ "$DUMP_STATUS" = 0 ] || fail "dump exited $DUMP_STATUS: $(cat "$WORK/dump.out" "$WORK/dump.err")"
    frames_of_thread "$TARGET_PID" "$WORK/dump.out" >"$WORK/frames"
    grep -q ' spin_leaf()+' "$WORK/frames" && break
    tries=$((tries + 1))
    [ $tries -lt 10 ] || fail "never in spin_leaf: $(cat "$WORK/dump.out")"
done
# In order, each frame under the next, and the walk complete.
order=$(grep -oE ' (spin_leaf|with_cleanups|through_a_lambda|main|_start)[(+]' "$WORK/frames" |
    tr -d ' (+' | tr '\n' ' ')
case $order in
"spin_leaf with_cleanups "*"through_a_lambda main _start ") ;;
*) fail "frames out of order or missing: '$order': $(cat "$WORK/frames")" ;;
esac
assert_no_grep 'truncated' "$WORK/dump.out" "the walk was cut short"
assert_untouched "$TARGET_PID"
exit 0
