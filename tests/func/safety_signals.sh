#!/bin/sh
# No signal is lost or duplicated while spytop samples: a target counts
# SIGUSR1 and queued real-time signals while being dumped over and over.
. "$(dirname "$0")/lib.sh"
require_ptrace

# count_handled FILE: how many SIGUSR1 the target has handled so far.
count_handled() {
    tr -cd u <"$1" | wc -c
}

for mode in spin sleep; do
    start_target "signals_$mode" "$TARGETS/signals" "$WORK/counts.$mode" "$mode"
    pid=$TARGET_PID
    (
        i=0
        while [ $i -lt 30 ]; do
            "$SPYTOP" dump -p "$pid" >/dev/null 2>&1
            i=$((i + 1))
        done
    ) &
    dumper=$!
    # Queued real-time signals are sent in a burst; each SIGUSR1 only once
    # the previous one was handled, so none can merge: every one missing
    # was lost.
    sent=0
    while [ $sent -lt 150 ]; do
        kill -s RTMIN "$pid"
        kill -USR1 "$pid"
        sent=$((sent + 1))
        waited=0
        while [ "$(count_handled "$WORK/signals_$mode.out")" -lt $sent ]; do
            waited=$((waited + 1))
            [ $waited -gt 500 ] && fail "$mode: SIGUSR1 number $sent was never handled"
            sleep 0.01
        done
    done
    wait "$dumper"
    sleep 0.2
    assert_untouched "$pid"
    assert_signals_counted "$pid" "$WORK/counts.$mode" 150 "$mode"
done
exit 0
