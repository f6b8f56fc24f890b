#!/bin/sh
# spytop SIGKILLed at hundreds of random moments of its loop (dump, the live
# view in --batch, record): the target is never left stopped or traced,
# keeps running, and loses no signal: a sender queues real-time signals all
# along, and the target counts every one.
. "$(dirname "$0")/lib.sh"
require_ptrace

KILLS=${SPYTOP_TEST_KILLS:-80} # per command

start_target signals "$TARGETS/signals" "$WORK/counts" spin
pid=$TARGET_PID
# The sender: one queued SIGRTMIN every few ms until told to stop; counts
# what it sent.
(
    sent=0
    while [ ! -e "$WORK/stop-sending" ]; do
        kill -s RTMIN "$pid" || break
        sent=$((sent + 1))
        sleep 0.005
    done
    echo "$sent" >"$WORK/sent"
) &
sender=$!

for cmd in dump batch record; do
    i=0
    while [ $i -lt "$KILLS" ]; do
        case $cmd in
        dump)
            "$SPYTOP" dump -p "$pid" >/dev/null 2>&1 &
            max=0.06 ;; # before, during and after the attach and the sample
        batch)
            "$SPYTOP" -p "$pid" -r 400 --batch --delay 0.05 >/dev/null 2>&1 &
            max=0.3 ;; # attach, ticks, tables
        record)
            rm -f "$WORK/rec.spytop"
            "$SPYTOP" record -p "$pid" -r 400 -o "$WORK/rec.spytop" >/dev/null 2>&1 &
            max=0.3 ;;
        esac
        victim=$!
        sleep "$(awk -v s="$i$cmd" -v m="$max" 'BEGIN { srand(length(s) * 1000 + s); printf "%.3f", rand() * m }')"
        kill -KILL "$victim" 2>/dev/null
        wait "$victim" 2>/dev/null
        assert_untouched "$pid"
        i=$((i + 1))
    done
    note "$cmd: killed $KILLS times"
done

touch "$WORK/stop-sending"
wait "$sender"
# Still alive and spinning: CPU time keeps growing.
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 0.3
t2=$(awk '{print $14 + $15}' "/proc/$pid/stat")
[ "$t2" -gt "$t1" ] || fail "target stopped making progress"
sleep 0.2 # the last queued signals are handled
kill -USR2 "$pid"
wait "$pid" || fail "the target exited with $?"
sent=$(cat "$WORK/sent")
note "sent $sent real-time signals; the target counted: $(cat "$WORK/counts")"
[ "$sent" -gt 100 ] || fail "only $sent signals were sent"
grep -q " rt=$sent " "$WORK/counts" || fail "sent $sent real-time signals, the target counted: $(cat "$WORK/counts")"
exit 0
