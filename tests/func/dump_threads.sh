#!/bin/sh
# Four named threads with their own hot function, and main in
# pthread_join: every thread appears with its name and its function.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
dump "$pid"
[ "$DUMP_STATUS" = 0 ] || fail "dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
assert_grep "^Process $pid: .*threads \(5 threads\)" "$WORK/dump.out"
for pair in alpha:worker_alpha beta:worker_beta gamma:worker_gamma delta:worker_delta; do
    name=${pair%%:*}
    fn=${pair#*:}
    tid=$(awk -v n="\"$name\"" '/^Thread / && $3 == n {print $2}' "$WORK/dump.out")
    [ -n "$tid" ] || fail "no thread named $name: $(cat "$WORK/dump.out")"
    frames_of_thread "$tid" "$WORK/dump.out" >"$WORK/frames.$name"
    assert_grep "$fn" "$WORK/frames.$name" "thread $name does not show $fn"
    # A thread's stack ends in clone3 / start_thread, not somewhere random.
    assert_grep 'start_thread|clone' "$WORK/frames.$name" "thread $name: stack does not reach start_thread"
done
frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/frames.main"
assert_grep 'pthread_join|__pthread_clockjoin|futex' "$WORK/frames.main"
assert_grep ' main\+' "$WORK/frames.main"
assert_untouched "$pid"
exit 0
