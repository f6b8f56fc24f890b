#!/bin/sh
# Threads that come and go during the dump are skipped, never fatal; the
# target keeps running and no zombie threads are left behind.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target churn "$TARGETS/churn"
pid=$TARGET_PID
i=0
while [ $i -lt 20 ]; do
    dump "$pid"
    case "$DUMP_STATUS" in
    0 | 1) ;;
    *) fail "dump of a churning target exited $DUMP_STATUS: $(cat "$WORK/dump.err")" ;;
    esac
    assert_grep "^Thread $pid " "$WORK/dump.out"
    assert_untouched "$pid"
    i=$((i + 1))
done
sleep 0.2
if thread_states "$pid" | grep -q Z; then
    sleep 1
    thread_states "$pid" | grep -q Z && fail "zombie threads left in the target"
fi

# The live view over 10 s of churn: no crash, its errors are counted and
# shown, the target is left as it was, and spytop's memory is noted. That
# the tables stay bounded is test_aggregator's to show: RSS grows in steps
# (hash tables doubling), 40 to 600 KiB between 22 and 32 s of a longer run
# with or without the retiring of gone threads: it cannot tell them apart.
rss_kib() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}
"$SPYTOP" -p "$pid" -r 500 --batch --delay 1 --iterations 10 >"$WORK/out" 2>"$WORK/err" &
spy=$!
sleep 4
early=$(rss_kib "$spy")
sleep 4
late=$(rss_kib "$spy")
note "spytop RSS $early KiB at 4 s, $late KiB at 8 s"
wait "$spy" || fail "--batch exited $?: $(cat "$WORK/err")"
assert_untouched "$pid"
assert_grep '^Sampling: .*, [0-9]+ samples, [0-9]+ late, [0-9]+ errors' "$WORK/out"
sleep 0.2
if thread_states "$pid" | grep -q Z; then
    sleep 1
    thread_states "$pid" | grep -q Z && fail "zombie threads left in the target after the live view"
fi
exit 0
