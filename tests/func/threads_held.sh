#!/bin/sh
# A thread held by another tracer (a debugger, strace -p TID on one thread)
# cannot be attached: spytop samples the others and names that thread,
# with the tracer that holds it, in every command; dump exits 1 (partial).
# When the other tracer lets go, spytop takes the thread at its next look.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
held=""
for t in /proc/"$pid"/task/*; do
    [ "$(cat "$t/comm")" = gamma ] && held=${t##*/}
done
[ -n "$held" ] || fail "the threads target has no gamma thread"
start_target holder "$TARGETS/holder" "$held"
holder=$TARGET_PID
reason="traced by PID $holder \\(holder\\)"

# dump: the thread is listed, not sampled, with the reason; status 1.
status=0
"$SPYTOP" dump -p "$pid" >"$WORK/dump.txt" 2>"$WORK/dump.err" || status=$?
[ "$status" = 1 ] || fail "dump: status $status, expected 1 (partial): $(cat "$WORK/dump.err")"
assert_grep "^Process $pid: .*\\(5 threads" "$WORK/dump.txt" "dump: the thread count"
assert_grep "^Thread $held \"gamma\"" "$WORK/dump.txt" "dump: the held thread is not listed"
assert_grep "^  \\(not sampled: $reason\\)\$" "$WORK/dump.txt" "dump: the reason"
assert_grep 'worker_alpha' "$WORK/dump.txt" "dump: the other threads"
status=0
"$SPYTOP" dump -p "$pid" --json >"$WORK/dump.json" 2>"$WORK/dump.err" || status=$?
[ "$status" = 1 ] || fail "dump --json: status $status, expected 1"
python3 - "$WORK/dump.json" "$held" "$holder" <<'PY' || fail "dump --json: the held thread"
import json, sys
doc = json.load(open(sys.argv[1]))
held = [t for t in doc["threads"] if t["tid"] == int(sys.argv[2])]
assert len(held) == 1, held
assert held[0]["status"] == "not sampled", held[0]
assert held[0]["not_sampled_because"] == "traced by PID %s (holder)" % sys.argv[3], held[0]
others = [t for t in doc["threads"] if t["tid"] != int(sys.argv[2])]
assert len(others) == 4 and all(t["not_sampled_because"] is None for t in others), others
PY

# --batch and record: named with the reason.
"$SPYTOP" -p "$pid" --batch --delay 0.5 --iterations 1 >"$WORK/batch.txt" 2>"$WORK/batch.err" ||
    fail "--batch exited $?: $(cat "$WORK/batch.err")"
assert_grep "^Not sampled: 1 thread not sampled: thread $held \\(gamma\\): $reason\$" \
    "$WORK/batch.txt" "--batch: the held thread"
"$SPYTOP" record -p "$pid" -d 0.5 -o "$WORK/held.spytop" 2>"$WORK/rec.err" ||
    fail "record exited $?: $(cat "$WORK/rec.err")"
assert_grep "^spytop: warning: 1 thread not sampled: thread $held \\(gamma\\): $reason\$" \
    "$WORK/rec.err" "record: the held thread"

# The other tracer lets go while spytop runs: the thread is taken then.
"$SPYTOP" -p "$pid" --batch --delay 0.5 --iterations 4 >"$WORK/later.txt" 2>"$WORK/later.err" &
spy=$!
# Its first report names the thread as held (under the sanitizers spytop
# may take longer than a report's half second to start: wait for it).
wait_for_line '^Not sampled: ' "$WORK/later.txt" 20 "--batch: the held thread at first"
kill "$holder"
wait "$holder" 2>/dev/null
wait "$spy" || fail "--batch (holder ending) exited $?: $(cat "$WORK/later.err")"
assert_grep '^Not sampled: ' "$WORK/later.txt" "--batch: the held thread at first"
tail_report=$(awk '/^spytop /{n++} n == 4' "$WORK/later.txt")
echo "$tail_report" | grep -q '^Not sampled: ' && fail "--batch: still not sampled after the holder ended"
echo "$tail_report" | grep -q "^ *$held " || fail "--batch: the thread was not sampled once free: $tail_report"
assert_untouched "$pid"
kill "$pid"

# A thread born after attach and taken by another tracer is named too:
# in the default view, which leaves it asleep and reads its holder a
# second after it is found; with --idle, which must stop it once, as soon
# as that seize is refused.
for mode in default idle; do
    start_target late "$TARGETS/sleepers" -n 2 -b 1 -l
    late_pid=$TARGET_PID
    # shellcheck disable=SC2046
    "$SPYTOP" -p "$late_pid" --batch --delay 0.5 --iterations 10 $([ $mode = idle ] && echo --idle) \
        >"$WORK/late-$mode.txt" 2>"$WORK/late-$mode.err" &
    spy=$!
    # Born once spytop's first report is out: found by a later sync.
    wait_for_line '^spytop ' "$WORK/late-$mode.txt" 30 "$mode: no first report"
    kill -USR2 "$late_pid"
    wait_for_line '^late [0-9]+$' "$WORK/late.out" 10 "$mode: the late thread did not start"
    late_tid=$(sed -n 's/^late //p' "$WORK/late.out")
    start_target late_holder "$TARGETS/holder" "$late_tid"
    late_holder=$TARGET_PID
    wait "$spy" || fail "$mode: --batch exited $?: $(cat "$WORK/late-$mode.err")"
    assert_grep "^Not sampled: 1 thread not sampled: thread $late_tid \\(late\\): traced by PID $late_holder \\(holder\\)\$" \
        "$WORK/late-$mode.txt" "$mode: the thread held after attach"
    kill "$late_holder"
    wait "$late_holder" 2>/dev/null
    assert_untouched "$late_pid"
    kill "$late_pid"
    wait "$late_pid" 2>/dev/null
done
exit 0
