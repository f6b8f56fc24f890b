#!/bin/sh
# A signal storm while spytop samples at a high rate: 20000 SIGUSR1 (each
# answered before the next, so none merge) and 20000 queued SIGRTMIN with
# payloads 1..20000. The target's handler counts and the payload order are
# the same as in an untraced control run: exact, nothing lost, nothing
# doubled, nothing reordered. For the live view (--batch) and record.
. "$(dirname "$0")/lib.sh"
require_ptrace

N=${SPYTOP_TEST_SIGNALS:-20000}

for cmd in control batch record; do
    start_target "storm_$cmd" "$TARGETS/signals" "$WORK/counts.$cmd" spin
    pid=$TARGET_PID
    spy=
    case $cmd in
    batch) "$SPYTOP" -p "$pid" -r 1000 --batch --delay 0.5 >"$WORK/out" 2>"$WORK/err" & spy=$! ;;
    record) "$SPYTOP" record -p "$pid" -r 1000 -o "$WORK/storm.spytop" >"$WORK/out" 2>"$WORK/err" & spy=$! ;;
    esac
    [ -n "$spy" ] && sleep 0.5 # attached and sampling
    begin=$(date +%s%N)
    timeout 120 "$TARGETS/sigstorm" "$pid" "$N" >"$WORK/sent.$cmd" ||
        fail "$cmd: the storm did not complete: $(cat "$WORK/sent.$cmd")"
    note "$cmd: $(cat "$WORK/sent.$cmd") in $((($(date +%s%N) - begin) / 1000000)) ms"
    if [ -n "$spy" ]; then
        kill -INT "$spy"
        wait "$spy" || fail "$cmd: spytop exited $?: $(cat "$WORK/err")"
        case $cmd in
        batch) samples=$(sed -n 's/^Sampling: .* \([0-9]*\) samples.*/\1/p' "$WORK/out" | tail -1) ;;
        record) samples=$("$SPYTOP" report "$WORK/storm.spytop" | sed -n 's/.*: \([0-9]*\) samples over.*/\1/p') ;;
        esac
        note "$cmd: $samples samples during the storm"
        [ "${samples:-0}" -gt 100 ] || fail "$cmd: only ${samples:-no} samples: the storm was not sampled"
    fi
    assert_untouched "$pid"
    assert_signals_counted "$pid" "$WORK/counts.$cmd" "$N" "$cmd"
done
exit 0
