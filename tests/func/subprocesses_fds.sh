#!/bin/sh
# Out of file descriptors while following many processes (ulimit -n 60,
# 9 Python processes of 4 threads): the processes spytop cannot sample
# are named ("sampling failed: Too many open files") and let go at once,
# none sits stopped or traced, the others are sampled; nothing is left
# traced afterwards.
. "$(dirname "$0")/lib.sh"
require_ptrace
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"

start_target family "$PY" "$TESTS_SRCDIR/targets/pyfamily.py"
parent=$TARGET_PID
kids=$(cat /proc/"$parent"/task/*/children | tr ' ' '\n' | grep .)
STARTED_PIDS="$STARTED_PIDS $kids"
[ "$(echo "$kids" | wc -l)" = 8 ] || fail "the family has not 8 children: $kids"

(ulimit -n 60 && exec "$SPYTOP" -p "$parent" -s --batch --iterations 6 --delay 1) \
    >"$WORK/batch.out" 2>"$WORK/batch.err" &
spy=$!
sleep 3
# held: the threads in tracing stop at each of 5 looks 0.1 s apart; a
# thread sampled now and then is there for microseconds, one left stopped
# at every look.
for look in 1 2 3 4 5; do
    for k in $parent $kids; do
        for t in /proc/"$k"/task/*; do
            [ "$(stat_state "$t/stat")" = t ] && echo "$k/${t##*/}"
        done
    done | sort >"$WORK/look$look"
    sleep 0.1
done
held=$(sort "$WORK"/look* | uniq -c | awk '$1 == 5 { print $2 }')
[ -z "$held" ] || fail "threads left in tracing stop while spytop runs: $held"
wait "$spy" || fail "spytop exited $?: $(cat "$WORK/batch.err")"
followed=$(sed -n 's/^Processes: \([0-9]*\) followed.*/\1/p' "$WORK/batch.out" | tail -1)
[ "${followed:-0}" -ge 2 ] || fail "fewer than 2 processes followed: $(tail -20 "$WORK/batch.out")"
if [ "$followed" -lt 9 ]; then
    assert_grep "not followed: (sampling failed: Too many open files|.*Too many open files)" \
        "$WORK/batch.out" "the processes not followed are named with the reason"
fi
note "followed $followed of 9 with 60 descriptors"
assert_untouched "$parent"
for k in $kids; do assert_untouched "$k"; done
