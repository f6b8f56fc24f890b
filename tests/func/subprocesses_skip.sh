#!/bin/sh
# A process that cannot be attached (another tracer holds it) is named and
# skipped, never fatal: with -p PID,PID and with --subprocesses; the others
# are sampled, everything untouched after.
. "$(dirname "$0")/lib.sh"
require_ptrace

# A parent shell with two children.
sh -c 'sleep 1000 & sleep 1000 & echo ready; wait' >"$WORK/parent.out" &
parent=$!
STARTED_PIDS="$STARTED_PIDS $parent"
i=0
until [ "$(cat /proc/"$parent"/task/*/children 2>/dev/null | wc -w)" = 2 ]; do
    i=$((i + 1))
    [ $i -gt 500 ] && fail "the parent did not start its children"
    sleep 0.01
done
kids=$(cat /proc/"$parent"/task/*/children | tr ' ' '\n' | grep . | sort -n)
STARTED_PIDS="$STARTED_PIDS $kids"
first=$(echo "$kids" | head -1)
held=$(echo "$kids" | tail -1)
start_target holder "$TARGETS/holder" "$held"
holder=$TARGET_PID

# -p A,B: B named on stderr and skipped; A sampled; exit 0.
"$SPYTOP" -p "$first,$held" --batch --iterations 2 --delay 0.5 >"$WORK/list.out" 2>"$WORK/list.err" ||
    fail "-p A,B with B held exited $?: $(cat "$WORK/list.err")"
assert_grep "PID $held not sampled: .*traced by PID $holder \\(holder\\)" "$WORK/list.err"
assert_grep "^spytop .*: PID $first " "$WORK/list.out"
assert_grep "^ +$first +[0-9]+ " "$WORK/list.out" "the other process is sampled"
# Only held ones: the error, as for one PID.
status=0
"$SPYTOP" -p "$held" --batch --iterations 1 >/dev/null 2>"$WORK/one.err" || status=$?
[ "$status" != 0 ] || fail "-p HELD alone succeeded"
assert_grep "already traced by PID $holder" "$WORK/one.err"

# -s: the held child is named in the table's head, the rest followed.
"$SPYTOP" -p "$parent" -s --batch --iterations 2 --delay 0.5 >"$WORK/sub.out" 2>"$WORK/sub.err" ||
    fail "-s with a held child exited $?: $(cat "$WORK/sub.err")"
assert_grep '^Processes: 2 followed, 2 since the start, 1 not followed$' "$WORK/sub.out"
assert_grep "^PID $held not followed: .*traced by PID $holder \\(holder\\)" "$WORK/sub.out"
assert_grep "^ +$first +1 " "$WORK/sub.out" "the other child is followed"

# dump -s: the held one said on stderr, exit 1, the others dumped.
status=0
"$SPYTOP" dump -p "$parent" -s >"$WORK/dump.out" 2>"$WORK/dump.err" || status=$?
[ "$status" = 1 ] || fail "dump -s with a held child: status $status, expected 1"
assert_grep "^Process $parent: " "$WORK/dump.out"
assert_grep "^Process $first: " "$WORK/dump.out"
assert_grep "traced by PID $holder" "$WORK/dump.err"
# The same in JSON: valid, with the others (the held one in the middle).
status=0
"$SPYTOP" dump -p "$first,$held,$parent" --json >"$WORK/dump.json" 2>"$WORK/dump.err" || status=$?
[ "$status" = 1 ] || fail "dump --json with a held process: status $status, expected 1"
python3 - "$WORK/dump.json" "$first" "$parent" <<'PY' || fail "dump --json with a held process: $(cat "$WORK/dump.json")"
import json, sys
pids = [p["pid"] for p in json.load(open(sys.argv[1]))["processes"]]
assert pids == [int(sys.argv[2]), int(sys.argv[3])], pids
PY

assert_untouched "$parent"
assert_untouched "$first"
kill "$holder"
wait "$holder" 2>/dev/null
assert_untouched "$held"
