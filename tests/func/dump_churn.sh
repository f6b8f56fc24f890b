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
exit 0
