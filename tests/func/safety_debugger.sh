#!/bin/sh
# gdb attaching to a target spytop is sampling fails harmlessly: gdb gets
# a clear refusal, the target is unchanged, and spytop (--batch, record)
# goes on sampling; after spytop, gdb attaches normally.
. "$(dirname "$0")/lib.sh"
require_ptrace
command -v gdb >/dev/null || skip "gdb is not installed"

for cmd in batch record; do
    start_target "gdb_$cmd" "$TARGETS/threads"
    pid=$TARGET_PID
    case $cmd in
    batch) "$SPYTOP" -p "$pid" --batch --delay 0.5 >"$WORK/out" 2>"$WORK/err" & ;;
    record) "$SPYTOP" record -p "$pid" -o "$WORK/gdb.spytop" >"$WORK/out" 2>"$WORK/err" & ;;
    esac
    spy=$!
    sleep 0.7
    timeout 60 gdb -nx -batch -p "$pid" -ex 'info threads' >"$WORK/gdb.out" 2>&1
    note "$cmd: gdb said: $(grep -i 'ptrace\|attach' "$WORK/gdb.out" | head -2 | tr '\n' ' ')"
    assert_grep 'ptrace: Operation not permitted|Could not attach' "$WORK/gdb.out" \
        "$cmd: gdb was not refused"
    assert_no_grep 'worker_alpha' "$WORK/gdb.out" "$cmd: gdb attached beside spytop"
    kill -0 "$spy" 2>/dev/null || fail "$cmd: spytop ended when gdb tried: $(cat "$WORK/err")"
    # spytop still samples: the counts grow after gdb's attempt.
    sleep 1.2
    kill -INT "$spy"
    wait "$spy" || fail "$cmd: spytop exited $?: $(cat "$WORK/err")"
    assert_untouched "$pid"
    case $cmd in
    batch) assert_grep 'worker_alpha' "$WORK/out" ;;
    record)
        "$SPYTOP" report "$WORK/gdb.spytop" >"$WORK/report" || fail "record: report exited $?"
        seconds=$(sed -n 's/.* samples over \([0-9.]*\) s.*/\1/p' "$WORK/report")
        awk -v s="$seconds" 'BEGIN { exit !(s >= 1.5) }' || fail "record: only ${seconds:-?} s recorded"
        assert_grep 'worker_alpha' "$WORK/report" ;;
    esac
    # Once spytop has gone, gdb attaches as it would have without it.
    timeout 60 gdb -nx -batch -p "$pid" -ex 'info threads' >"$WORK/gdb.out" 2>&1
    assert_grep 'worker_alpha|alpha' "$WORK/gdb.out" "$cmd: gdb could not attach after spytop"
    assert_untouched "$pid"
    kill -KILL "$pid"
done
exit 0
