#!/bin/sh
# No signal is lost or duplicated while spytop samples: a target counts
# SIGUSR1 and queued real-time signals while being dumped over and over.
. "$(dirname "$0")/lib.sh"
require_ptrace

for mode in spin sleep; do
    start_target signals "$TARGETS/signals" "$WORK/counts.$mode" "$mode"
    pid=$TARGET_PID
    (
        i=0
        while [ $i -lt 40 ]; do
            "$SPYTOP" dump -p "$pid" >/dev/null 2>&1
            i=$((i + 1))
        done
    ) &
    dumper=$!
    sent=0
    while [ $sent -lt 200 ]; do
        kill -USR1 "$pid"
        kill -s RTMIN "$pid"
        sent=$((sent + 1))
        # SIGUSR1 is not queued: give the handler time so none coalesce.
        sleep 0.005
    done
    wait "$dumper"
    sleep 0.2
    assert_untouched "$pid"
    kill -USR2 "$pid"
    wait "$pid" || fail "signals target exited with $?"
    [ "$(cat "$WORK/counts.$mode")" = "usr1=200 rt=200" ] ||
        fail "$mode: sent 200 of each, target counted: $(cat "$WORK/counts.$mode")"
done
exit 0
