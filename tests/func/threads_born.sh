#!/bin/sh
# Threads born while spytop samples are found and sampled from their first
# tenth of a second on: the sleepers target's relay thread spins 300 ms,
# starts its successor and exits, one relay thread at a time (the thread
# count barely moves; spytop lists /proc/PID/task only when the kernel's
# count moved or a thread of its own exited, src/tracer.c). Each relay
# thread wholly inside the recording must have 8 of its some 30 samples
# (found within 0.2 s of its birth; 15 to 26 on a quiet machine).
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target sleepers "$TARGETS/sleepers" -n 20 -b 1 -r
pid=$TARGET_PID
"$SPYTOP" record -p "$pid" -o "$WORK/rec.spy" >"$WORK/rec.out" 2>"$WORK/rec.err" &
spy=$!
sleep 3.5
kill -INT "$spy"
wait "$spy" || fail "record exited $?: $(cat "$WORK/rec.err")"
"$SPYTOP" report "$WORK/rec.spy" >"$WORK/report.txt" 2>"$WORK/report.err" ||
    fail "report failed: $(cat "$WORK/report.err")"
# The relay threads born during the recording, but the first two (spytop
# was still attaching) and the last two (cut off by its end).
awk '$1 == "relay" { print $2 }' "$WORK/sleepers.out" >"$WORK/born"
total=$(wc -l <"$WORK/born")
[ "$total" -ge 9 ] || fail "only $total relay threads were born in 3.5 s"
sed '1,2d;$d' "$WORK/born" | sed '$d' >"$WORK/inside"
while read -r tid; do
    n=$(awk -v t="$tid" '$1 == t { print $2 }' "$WORK/report.txt")
    [ -n "$n" ] || fail "relay thread $tid (born while sampling) has no samples: $(sed -n '/TID/,$p' "$WORK/report.txt")"
    [ "$n" -ge 8 ] || fail "relay thread $tid has $n samples of some 30 (found late?)"
done <"$WORK/inside"
assert_untouched "$pid"
exit 0
