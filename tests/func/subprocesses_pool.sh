#!/bin/sh
# multiprocessing.Pool(4) workers born after spytop attached with -s: each
# is followed and shows its hot function; the parent untouched after.
. "$(dirname "$0")/lib.sh"
require_ptrace
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"

start_target pool "$PY" "$TESTS_SRCDIR/targets/pypool.py" 5
parent=$TARGET_PID
"$SPYTOP" -p "$parent" -s --batch --iterations 6 --delay 1 --rows 5 \
    >"$WORK/batch.out" 2>"$WORK/batch.err" &
spy=$!
sleep 1.5
kill -0 "$spy" || fail "spytop -s ended early: $(cat "$WORK/batch.err")"
kill -USR1 "$parent"
wait_for_line "^workers" "$WORK/pool.out" 5 "the pool did not start"
workers=$(sed -n 's/^workers //p' "$WORK/pool.out")
STARTED_PIDS="$STARTED_PIDS $workers"
note "parent $parent, pool workers $workers"
wait "$spy" || fail "spytop -s exited $?: $(cat "$WORK/batch.err")"
assert_grep '^Processes: 5 followed, 5 since the start$' "$WORK/batch.out" "the 4 workers and the parent at once"
for w in $workers; do
    assert_grep "^ +$w +1 +[0-9]+ +[0-9.]+% +[0-9-]+%? +pool_burn " "$WORK/batch.out" \
        "worker $w followed, pool_burn its hottest function"
done
assert_grep "^ +$parent +[0-9]+ +[0-9]+ +[0-9.]+% .*pypool\.py" "$WORK/batch.out" "the parent in the process table"
assert_untouched "$parent"
wait_for_line "^done" "$WORK/pool.out" 10 "the pool did not finish"
for w in $workers; do
    [ -d /proc/"$w" ] && [ "$(stat_state /proc/"$w"/stat)" != Z ] && assert_untouched "$w"
done
assert_untouched "$parent"
