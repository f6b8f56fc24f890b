#!/bin/sh
# The unwinder reuses a thread's last walk from the first frame whose
# libunwind state and later reads are unchanged (src/unwinder.c). With
# SPYTOP_UNWIND_MEMO=check every reused walk is walked again in full and
# compared, frame by frame; spytop then reports on stderr
#   spytop: unwind memo: W walks, R reused, M mismatches
# On steady targets (threads, a 200-deep recursion, CFI-only frames, a
# forged chain, Python) most walks are reused and none differs; on stacks
# that change every sample (smashed, thread churn) none may differ either.
. "$(dirname "$0")/lib.sh"
require_ptrace

# memo_check NAME MIN_REUSED_PCT CMD...: samples the target CMD for 2 s.
memo_check() {
    local name=$1 min=$2
    shift 2
    start_target "$name" "$@"
    SPYTOP_UNWIND_MEMO=check "$SPYTOP" -p "$TARGET_PID" --batch -r 200 --iterations 1 --delay 2 ${MEMO_ARGS:-} \
        >"$WORK/$name.batch" 2>"$WORK/$name.memo" || fail "$name: --batch exited $?"
    assert_no_grep 'unwind memo: tid' "$WORK/$name.memo" "$name: a reused walk differs"
    line=$(grep '^spytop: unwind memo: ' "$WORK/$name.memo") ||
        fail "$name: no memo summary: $(cat "$WORK/$name.memo")"
    set -- $(echo "$line" | sed 's/.*: \([0-9]*\) walks, \([0-9]*\) reused, \([0-9]*\) mismatches/\1 \2 \3/')
    note "$name: $1 walks, $2 reused, $3 mismatches"
    [ "$3" = 0 ] || fail "$name: $3 reused walks differ from full ones"
    [ "$1" -gt 100 ] || fail "$name: only $1 walks in 2 s at 200 Hz"
    [ $(($2 * 100)) -ge $(($1 * min)) ] || fail "$name: only $2 of $1 walks reused (want >= $min %)"
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
}

memo_check threads 80 "$TARGETS/threads"
# The leaf spins: a sleeping one is left alone in the default view now.
memo_check recurse 80 "$TARGETS/recurse" 200 spin
memo_check inlined 80 "$TARGETS/inlined"
memo_check hostile-chain 80 "$TARGETS/hostile" chain
memo_check hostile-loop 0 "$TARGETS/hostile" loop
memo_check hostile-smash 0 "$TARGETS/hostile" smash
memo_check churn 0 "$TARGETS/churn"
if command -v python3 >/dev/null; then
    # --idle: the main thread waits in join, and its walks (all reused)
    # count too; the busy thread's own walks reuse less (some 17 %: its
    # Python frames move). Sleeper reuse off, or the sampler would take the
    # main thread's stack again without walking it (threads_sleepers.sh).
    SPYTOP_SLEEPER_REUSE=0 MEMO_ARGS=--idle memo_check python 30 python3 "$TESTS_SRCDIR/targets/pyratio.py" ratio
fi

# SPYTOP_UNWIND_MEMO=0 turns it off: the same stacks, walked in full.
start_target threads-off "$TARGETS/threads"
SPYTOP_UNWIND_MEMO=0 "$SPYTOP" -p "$TARGET_PID" --batch -r 200 --iterations 1 --delay 1 \
    >"$WORK/off.batch" 2>&1 || fail "memo off: --batch exited $?"
assert_grep 'threads_spin|target_burn' "$WORK/off.batch" "memo off: no stacks"
kill "$TARGET_PID"
exit 0
