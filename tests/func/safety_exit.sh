#!/bin/sh
# The target exits, or is SIGKILLed, while spytop samples it at a high
# rate: its parent (this shell) gets the exit status at once, and spytop
# says so and exits cleanly. For the live view (--batch), record and dump.
. "$(dirname "$0")/lib.sh"
require_ptrace

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# end_target HOW PID: ends the target (exit or kill), waits for it as its
# parent and checks the status came promptly.
end_target() {
    local how=$1 pid=$2 begin status=0 expect took
    begin=$(now_ms)
    case $how in
    kill) kill -KILL "$pid"; expect=137 ;;
    exit) kill -USR2 "$pid"; expect=0 ;; # the signals target exits 0
    esac
    wait "$pid" || status=$?
    took=$(($(now_ms) - begin))
    [ "$status" = "$expect" ] || fail "$how: the parent got status $status, expected $expect"
    # At a few hundred Hz, a tracer that held the exit back for a tick
    # would cost milliseconds; a second means it sat on it.
    [ "$took" -lt 1000 ] || fail "$how: the parent waited $took ms for the exit"
    note "$how: parent had the status after $took ms"
}

for how in kill exit; do
    for cmd in batch record; do
        start_target "$cmd-$how" "$TARGETS/signals" "$WORK/counts" spin
        pid=$TARGET_PID
        case $cmd in
        batch) "$SPYTOP" -p "$pid" -r 500 --batch --delay 0.3 >"$WORK/out" 2>"$WORK/err" & ;;
        record) "$SPYTOP" record -p "$pid" -r 500 -o "$WORK/$how.spytop" >"$WORK/out" 2>"$WORK/err" & ;;
        esac
        spy=$!
        sleep 1
        end_target "$how" "$pid"
        status=0
        wait_gone "$spy" 5 "$cmd, $how: spytop still runs 5 s after the target ended"
        wait "$spy" || status=$?
        [ "$status" = 0 ] || fail "$cmd, $how: spytop exited $status: $(cat "$WORK/err")"
        case $how in
        kill) said='target exited \(killed by SIGKILL\)|killed by SIGKILL' ;;
        exit) said='target exited \(status 0\)|exited with status 0|target exited' ;;
        esac
        cat "$WORK/out" "$WORK/err" >"$WORK/all"
        assert_grep "$said" "$WORK/all" "$cmd, $how: spytop did not say the target ended"
        if [ "$cmd" = record ]; then
            "$SPYTOP" report "$WORK/$how.spytop" >"$WORK/report" 2>&1 ||
                fail "$cmd, $how: report of the recording exited $?: $(cat "$WORK/report")"
            assert_grep 'complete' "$WORK/report"
        fi
    done
done

# dump: the target killed at random moments of a dump.
i=0
while [ $i -lt 15 ]; do
    start_target dump "$TARGETS/threads"
    pid=$TARGET_PID
    "$SPYTOP" dump -p "$pid" >"$WORK/out" 2>"$WORK/err" &
    spy=$!
    sleep "$(awk -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * 0.05 }')"
    end_target kill "$pid"
    status=0
    wait "$spy" || status=$?
    case $status in
    0 | 1 | 2) ;;
    *) fail "dump of a target killed under it exited $status: $(cat "$WORK/err")" ;;
    esac
    if [ "$status" = 2 ]; then
        assert_grep '^spytop: .*(no process|exited)' "$WORK/err"
    fi
    i=$((i + 1))
done
exit 0
