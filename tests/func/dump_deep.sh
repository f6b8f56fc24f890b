#!/bin/sh
# A 200-deep recursion, sleeping and spinning: all 200 frames are there,
# and the stack reaches main.
. "$(dirname "$0")/lib.sh"
require_ptrace

for mode in sleep spin; do
    start_target recurse "$TARGETS/recurse" 200 "$mode"
    pid=$TARGET_PID
    dump "$pid"
    [ "$DUMP_STATUS" = 0 ] || fail "dump ($mode) exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    n=$(grep -c ' recurse+0x' "$WORK/dump.out")
    [ "$n" = 200 ] || fail "expected 200 recurse frames ($mode), got $n"
    assert_grep 'recurse_leaf' "$WORK/dump.out"
    assert_grep ' main\+0x' "$WORK/dump.out"
    assert_no_grep 'truncated|depth limit' "$WORK/dump.out"
    assert_untouched "$pid"
    kill "$pid"
done

# A depth limit is honoured and said.
start_target recurse "$TARGETS/recurse" 200 sleep
dump "$TARGET_PID" --max-depth 50
[ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] || fail "dump --max-depth exited $DUMP_STATUS"
n=$(grep -c '^  #' "$WORK/dump.out")
[ "$n" -le 50 ] || fail "--max-depth 50 printed $n frames"
assert_grep 'depth limit' "$WORK/dump.out"
assert_untouched "$TARGET_PID"
exit 0
