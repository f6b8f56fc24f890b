#!/bin/sh
# Errors: one line on stderr naming the fix, exit 2; nothing harmed.
. "$(dirname "$0")/lib.sh"
require_ptrace

expect_fatal() {
    [ "$DUMP_STATUS" = 2 ] || fail "$1: exit $DUMP_STATUS, expected 2"
    [ "$(wc -l <"$WORK/dump.err")" = 1 ] || fail "$1: not one line: $(cat "$WORK/dump.err")"
    assert_grep "$2" "$WORK/dump.err"
    [ -s "$WORK/dump.out" ] && fail "$1: printed a dump"
    return 0
}

# No such process: a pid that just exited.
sh -c 'exit 0' &
gone=$!
wait $gone
dump "$gone"
expect_fatal "missing pid" "^spytop: no process with PID $gone\$"
# The live view without a terminal: the missing process is the first
# problem named, not the terminal.
status=0
"$SPYTOP" -p "$gone" </dev/null >"$WORK/top.out" 2>"$WORK/top.err" || status=$?
[ "$status" = 2 ] || fail "live view of a missing pid without a terminal: exit $status"
assert_grep "^spytop: no process with PID $gone\$" "$WORK/top.err"

# --threads naming a thread the process does not have: said, exit 2.
start_target chain0 "$TARGETS/chain" sleep
status=0
"$SPYTOP" -p "$TARGET_PID" --threads 999999 --batch --iterations 1 >"$WORK/top.out" 2>"$WORK/top.err" ||
    status=$?
[ "$status" = 2 ] || fail "--threads 999999: exit $status: $(cat "$WORK/top.err")"
assert_grep "^spytop: PID $TARGET_PID has no thread 999999" "$WORK/top.err"
assert_untouched "$TARGET_PID"
kill "$TARGET_PID"

# Already traced by another tracer: named.
start_target chain "$TARGETS/chain" sleep
pid=$TARGET_PID
start_target holder "$TARGETS/holder" "$pid"
holder=$TARGET_PID
dump "$pid"
expect_fatal "traced" "already traced by PID $holder \(holder\)"
kill "$holder"
wait "$holder" 2>/dev/null
sleep 0.1
assert_untouched "$pid"
dump "$pid"
[ "$DUMP_STATUS" = 0 ] || fail "dump after the other tracer left exited $DUMP_STATUS"

# Permission denied, as an unprivileged user against a root process.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    DUMP_STATUS=0
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        "$SPYTOP" dump -p "$pid" >"$WORK/dump.out" 2>"$WORK/dump.err" || DUMP_STATUS=$?
    expect_fatal "permission" "permission denied.*CAP_SYS_PTRACE"
    # Refused although it runs as the same user: the process is not
    # dumpable (prctl(PR_SET_DUMPABLE, 0)), and the message says so.
    if [ -x /usr/bin/python3 ]; then
        start_target undumpable setpriv --reuid=nobody --regid=nogroup --clear-groups \
            --inh-caps=-all /usr/bin/python3 -c 'import ctypes, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
print("ready", flush=True)
time.sleep(60)'
        DUMP_STATUS=0
        setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
            "$SPYTOP" dump -p "$TARGET_PID" >"$WORK/dump.out" 2>"$WORK/dump.err" || DUMP_STATUS=$?
        expect_fatal "not dumpable" "although it runs as your user: it is not dumpable"
        kill "$TARGET_PID"
    fi
else
    note "not root or no setpriv: permission case not exercised"
fi
assert_untouched "$pid"

# spytop given its own PID: said so (the shell's PID becomes spytop's).
DUMP_STATUS=0
sh -c 'exec "$1" dump -p $$' sh "$SPYTOP" >"$WORK/dump.out" 2>"$WORK/dump.err" || DUMP_STATUS=$?
expect_fatal "itself" "is spytop itself"

# A zombie: its threads cannot be traced, say so.
sh -c 'sleep 0.05 & exec sleep 5' &
parent=$!
STARTED_PIDS="$STARTED_PIDS $parent"
sleep 0.3
zombie=$(ps -o pid= --ppid "$parent" | tr -d ' ' | head -1)
if [ -n "$zombie" ] && grep -q '^State:.*Z' "/proc/$zombie/status" 2>/dev/null; then
    dump "$zombie"
    expect_fatal "zombie" "PID $zombie has exited"
fi
exit 0
