#!/bin/sh
# Output that cannot be written ends spytop with a message (or quietly, for
# a reader that went away), never with exit 0 and the figures lost; the
# target is left as it was.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target threads "$TARGETS/threads"
pid=$TARGET_PID

# The reader goes away (| head -1): spytop stops at its next table, not
# when killed. timeout's 124 would mean it kept sampling.
status=0
timeout 10 sh -c '"$1" -p "$2" --batch --delay 0.2 | head -n 1 >/dev/null' sh "$SPYTOP" "$pid" ||
    status=$?
[ "$status" = 0 ] || fail "--batch | head: spytop still ran after its reader left (status $status)"
assert_untouched "$pid"

# A full disk: one line naming it, exit 2.
for cmd in batch dump; do
    status=0
    case $cmd in
    batch) "$SPYTOP" -p "$pid" --batch --delay 0.2 --iterations 2 >/dev/full 2>"$WORK/err" || status=$? ;;
    dump) "$SPYTOP" dump -p "$pid" >/dev/full 2>"$WORK/err" || status=$? ;;
    esac
    [ "$status" = 2 ] || fail "$cmd > /dev/full: exit $status, expected 2"
    assert_grep "^spytop: writing the .* failed: No space left on device$" "$WORK/err"
    assert_untouched "$pid"
done

# No standard output at all.
status=0
"$SPYTOP" -p "$pid" --batch --iterations 1 >&- 2>"$WORK/err" || status=$?
[ "$status" = 2 ] || fail "--batch >&-: exit $status, expected 2"
assert_grep '^spytop: standard output is closed' "$WORK/err"
assert_untouched "$pid"
kill "$pid"
exit 0
