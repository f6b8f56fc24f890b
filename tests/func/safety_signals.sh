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

# spytop started with SIGCHLD ignored (the disposition is inherited through
# exec; bash ignores it for "trap '' CHLD", dash does not): the kernel then
# sends it no SIGCHLD for a tracee's stop, from which it learns of signals
# to deliver. A SIGTERM to a target whose threads all sleep (the default
# view stops none of them) must still end it.
start_target quiet "$TARGETS/sleepers" -n 2 -b 0
pid=$TARGET_PID
bash -c "trap '' CHLD; exec \"\$0\" -p $pid --batch --delay 1" "$SPYTOP" >"$WORK/ign.out" 2>"$WORK/ign.err" &
spy=$!
sleep 1.5
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
    i=$((i + 1))
    [ $i -gt 50 ] && fail "SIGCHLD ignored: SIGTERM not delivered in 0.5 s (state $(awk '{ print $3 }' "/proc/$pid/stat"))"
    sleep 0.01
done
wait "$spy" 2>/dev/null
exit 0
