#!/bin/sh
# Stacks that lie: a return address into the heap, a frame that points at
# itself, a zero return address. The dump ends each stack where it stops
# making sense, never invents frames, and the target runs on. Then a forged
# 1,000,000-frame chain and a stack pointer into unmapped memory: each
# sample stays within the depth cap and a bounded stop time.
. "$(dirname "$0")/lib.sh"
require_ptrace

# start_and_dump MODE: the hostile target in MODE (its pid in $pid), dumped;
# the dump may find broken stacks (exit 1) but must not fail (exit 2, 3).
start_and_dump() {
    start_target hostile "$TARGETS/hostile" "$1"
    pid=$TARGET_PID
    dump "$pid"
    case "$DUMP_STATUS" in
    0 | 1) ;;
    *) fail "$1: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")" ;;
    esac
}

for mode in smash loop zero; do
    start_and_dump "$mode"
    assert_grep '#0 +0x[0-9a-f]+ (hostile_spin|target_burn)' "$WORK/dump.out"
    assert_no_grep '\?\?' "$WORK/dump.out" "$mode: frames outside any module"
    n=$(grep -c '^  #' "$WORK/dump.out")
    [ "$n" -le 8 ] || fail "$mode: $n frames for a 3-deep stack: $(cat "$WORK/dump.out")"
    # The live view copes the same way.
    "$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1 >"$WORK/live" 2>&1 || fail "$mode: live view exited $?"
    assert_grep 'hostile_spin|target_burn' "$WORK/live"
    assert_untouched "$pid"
    kill "$pid"
done

# max_stop_us FILE: the longest stop (us) the last --batch table reports.
max_stop_us() {
    sed -n 's/^Sampling: .*, \([0-9.]*\) us (max)$/\1/p' "$1" | tail -1
}

for mode in chain wild; do
    start_and_dump "$mode"
    assert_grep '#0 +0x[0-9a-f]+ spin_with' "$WORK/dump.out"
    # The depth cap (--max-depth, 512 by default) holds per thread.
    for tid in $(sed -n 's/^Thread \([0-9]*\) .*/\1/p' "$WORK/dump.out"); do
        n=$(frames_of_thread "$tid" "$WORK/dump.out" | wc -l)
        [ "$n" -le 512 ] || fail "$mode: thread $tid has $n frames, over the cap of 512"
    done
    if [ "$mode" = chain ]; then
        n=$(grep -c '^  #' "$WORK/dump.out")
        [ "$n" -ge 100 ] || fail "chain: only $n frames: the forged chain was not walked at all"
    else
        assert_grep 'stack unreadable' "$WORK/dump.out"
    fi
    "$SPYTOP" -p "$pid" --batch --iterations 2 --delay 1 -r 200 >"$WORK/live" 2>&1 || fail "$mode: live view exited $?"
    assert_grep 'spin_with' "$WORK/live"
    # The stop copies registers and a bounded stack, whatever the chain:
    # a walk of the million frames while stopped would take seconds. 50 ms
    # leaves room for a loaded machine (a few ms are usual).
    max=$(max_stop_us "$WORK/live")
    note "$mode: longest stop ${max:-?} us; $(grep -c '^  #' "$WORK/dump.out") frames in the dump"
    awk -v m="$max" 'BEGIN { exit !(m != "" && m < 50000) }' || fail "$mode: a stop took ${max:-?} us"
    assert_untouched "$pid"
    kill "$pid"
done
exit 0
