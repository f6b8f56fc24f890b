#!/bin/sh
# Stacks that lie: a return address into the heap, a frame that points at
# itself, a zero return address. The dump ends each stack where it stops
# making sense, never invents frames, and the target runs on.
. "$(dirname "$0")/lib.sh"
require_ptrace

for mode in smash loop zero; do
    start_target hostile "$TARGETS/hostile" "$mode"
    pid=$TARGET_PID
    dump "$pid"
    case "$DUMP_STATUS" in
    0 | 1) ;;
    *) fail "$mode: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")" ;;
    esac
    assert_grep '#0 +0x[0-9a-f]+ (hostile_spin|target_burn)' "$WORK/dump.out"
    assert_no_grep '\?\?' "$WORK/dump.out" "$mode: frames outside any module"
    n=$(grep -c '^  #' "$WORK/dump.out")
    [ "$n" -le 8 ] || fail "$mode: $n frames for a 3-deep stack: $(cat "$WORK/dump.out")"
    # The live view copes the same way.
    "$SPYTOP" -p "$pid" --batch -n 1 --delay 1 >"$WORK/live" 2>&1 || fail "$mode: live view exited $?"
    assert_grep 'hostile_spin|target_burn' "$WORK/live"
    assert_untouched "$pid"
    kill "$pid"
done
exit 0
