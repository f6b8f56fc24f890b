#!/bin/sh
# Processes born and gone fast under --subprocesses: a parent forks a child
# every 20 ms, each child forks a grandchild and gets a SIGUSR1; every exit
# status and every signal must arrive as without spytop (the target counts
# them), also when spytop is SIGKILLed in the middle; nothing left traced.
. "$(dirname "$0")/lib.sh"
require_ptrace
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"

# run_forker NAME SECONDS: starts the forker; FORKER its PID.
run_forker() {
    start_target "$1" "$PY" "$TESTS_SRCDIR/targets/forker.py" "$2"
    FORKER=$TARGET_PID
}

# forker_result NAME: waits for its "total N bad M" line; checks it.
forker_result() {
    wait_for_line "^total" "$WORK/$1.out" 15 "$1: the forker did not finish"
    local total bad
    total=$(sed -n 's/^total \([0-9]*\) bad.*/\1/p' "$WORK/$1.out")
    bad=$(sed -n 's/^total [0-9]* bad \([0-9]*\)/\1/p' "$WORK/$1.out")
    note "$1: $total children, $bad bad"
    [ "$bad" = 0 ] || fail "$1: children lost a signal or an exit status: $(grep '^bad' "$WORK/$1.out" | head -5)"
    [ "$total" -ge 50 ] || fail "$1: only $total children were born"
    assert_untouched "$FORKER"
}

run_forker forker 4
"$SPYTOP" -p "$FORKER" -s --batch --delay 1 -d 4.5 >"$WORK/batch.out" 2>"$WORK/batch.err" ||
    fail "-s over a forking parent exited $?: $(cat "$WORK/batch.err")"
seen=$(sed -n 's/^Processes: [0-9]* followed, \([0-9]*\) since the start.*/\1/p' "$WORK/batch.out" | tail -1)
[ "${seen:-0}" -ge 5 ] || fail "-s followed only ${seen:-no} processes of a parent forking 50 a second: $(cat "$WORK/batch.out")"
forker_result forker

run_forker killed 4
"$SPYTOP" -p "$FORKER" -s --batch --delay 0.5 >/dev/null 2>&1 &
spy=$!
sleep 2
kill -KILL "$spy"
wait "$spy" 2>/dev/null
forker_result killed
