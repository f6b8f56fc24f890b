#!/bin/sh
# spytop SIGKILLed at random moments of a dump: the target is never left
# stopped or traced, and keeps running.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
i=0
while [ $i -lt 60 ]; do
    "$SPYTOP" dump -p "$pid" >/dev/null 2>&1 &
    victim=$!
    # 0 to ~60 ms: before, during and after the attach and the sample.
    delay=$(awk -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * 0.06 }')
    sleep "$delay"
    kill -KILL "$victim" 2>/dev/null
    wait "$victim" 2>/dev/null
    assert_untouched "$pid"
    i=$((i + 1))
done
# Still alive and spinning: CPU time keeps growing.
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 0.3
t2=$(awk '{print $14 + $15}' "/proc/$pid/stat")
[ "$t2" -gt "$t1" ] || fail "target stopped making progress"
exit 0
