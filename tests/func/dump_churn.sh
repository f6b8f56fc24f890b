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

# The live view over 34 s of churn: spytop's memory levels off (threads gone
# for 10 s leave its tables, the window's buckets hold at most 60 s), its
# errors are counted and shown, the target is left as it was. Without the
# retiring, spytop grew some 150 KiB a second here, for as long as it ran.
rss_kib() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}
"$SPYTOP" -p "$pid" -r 500 --batch --delay 1 -n 34 >"$WORK/out" 2>"$WORK/err" &
spy=$!
sleep 22
early=$(rss_kib "$spy")
sleep 10
late=$(rss_kib "$spy")
note "spytop RSS $early KiB at 22 s, $late KiB at 32 s"
if ldd "$SPYTOP" 2>/dev/null | grep -q libasan; then
    note "AddressSanitizer build: its quarantine holds freed memory, RSS not checked"
else
    [ $((late - early)) -lt 600 ] || fail "spytop grew from $early to $late KiB in 10 s"
fi
wait "$spy" || fail "--batch exited $?: $(cat "$WORK/err")"
assert_untouched "$pid"
assert_grep '^Sampling: .*, [0-9]+ samples, [0-9]+ errors' "$WORK/out"
sleep 0.2
if thread_states "$pid" | grep -q Z; then
    sleep 1
    thread_states "$pid" | grep -q Z && fail "zombie threads left in the target after the live view"
fi
exit 0
