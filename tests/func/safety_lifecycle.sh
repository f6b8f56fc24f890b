#!/bin/sh
# Life events of the target while spytop samples it: a non-leader thread
# execs, the leader calls pthread_exit, the target forks children, a
# thread waits in vfork (no ptrace stop can reach it). Sampling goes on
# (or ends with a clear message), and nothing is left stopped or traced.
. "$(dirname "$0")/lib.sh"
require_ptrace

# untouched_children PID: no child of PID (each lives 5 ms: one may be gone
# by the time it is looked at) is traced or in 't'.
untouched_children() {
    local child tracer state
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$child/status" 2>/dev/null)
        state=$(stat_state "/proc/$child/stat" 2>/dev/null)
        [ -z "$tracer" ] || [ "$tracer" = 0 ] || fail "child $child of $1 is traced by $tracer"
        [ "$state" = t ] && fail "child $child of $1 is in tracing stop"
    done
    return 0
}

# wait_zombie_leader PID WHAT: waits (2 s at most) until PID's leader has
# called pthread_exit (its state is Z).
wait_zombie_leader() {
    local i=0
    until grep -q '^State:.*Z' "/proc/$1/status"; do
        i=$((i + 1))
        [ $i -gt 200 ] && fail "$2: the leader never became a zombie"
        sleep 0.01
    done
}

# --- exec by a non-leader thread, 1 s into sampling: the live view and the
# recording go on into the new program (its "after-exec" loop shows up).
# exec-thread: the exec'ing thread runs, and is seized; exec-sleeper: it
# and the leader sleep until then, and are left untraced (parked): no
# exec event comes, spytop must find the exec itself.
for mode in exec-thread exec-sleeper; do
for cmd in batch record; do
    start_target "exec_$cmd" "$TARGETS/lifecycle" $mode 1
    pid=$TARGET_PID
    note "exec, $mode, $cmd: target $pid"
    case $cmd in
    batch) timeout -k 2 30 "$SPYTOP" -p "$pid" --batch --iterations 5 --delay 0.6 --window 1 >"$WORK/out" 2>"$WORK/err" ;;
    record) timeout -k 2 30 "$SPYTOP" record -p "$pid" -d 3 -o "$WORK/exec_$mode.spytop" >"$WORK/out" 2>"$WORK/err" ;;
    esac
    status=$?
    [ "$status" = 0 ] || fail "exec, $mode, $cmd: spytop exited $status: $(cat "$WORK/err")"
    assert_grep "^exec'd $pid" "$WORK/exec_$cmd.out" "exec, $mode, $cmd: the target did not exec"
    assert_untouched "$pid"
    if [ "$cmd" = record ]; then
        "$SPYTOP" report "$WORK/exec_$mode.spytop" --format collapsed >"$WORK/out" ||
            fail "exec, $mode: report exited $?"
    else
        # The last table (the last second, after the exec) shows the new
        # program: main's loop only, the threads of the old one gone.
        awk '/^spytop /{t = ""} {t = t $0 "\n"} END {printf "%s", t}' "$WORK/out" >"$WORK/last"
        assert_grep 'Threads: 1 ' "$WORK/last" "exec, $mode, batch: the old threads are still counted"
        # (No row at all is right too: the first sample may come after the exec.)
        for f in exec_from_thread exec_after_sleep spinner; do
            v=$(total_of "$f" "$WORK/last")
            assert_near "${v:-0}" 0 0 "exec, $mode, batch: $f (old thread) %Total in the last window"
        done
        assert_near "$(total_of lifecycle_spin "$WORK/last")" 100 1 "exec, $mode, batch: lifecycle_spin %Total after the exec"
    fi
    # Samples of the new program: main -> lifecycle_spin, no thread function.
    assert_grep '(^|;)main;lifecycle_spin|main .*lifecycle\.c|lifecycle_spin' "$WORK/out"
    dump "$pid"
    [ "$DUMP_STATUS" = 0 ] || fail "exec, $mode: dump after the exec exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_untouched "$pid"
    kill -KILL "$pid"
done
done

# --- the leader calls pthread_exit: the process runs on in its workers,
# and every command samples them (not "has exited").
start_target leader "$TARGETS/lifecycle" leader-exit
pid=$TARGET_PID
note "leader-exit: target $pid"
wait_zombie_leader "$pid" leader-exit
dump "$pid"
[ "$DUMP_STATUS" = 0 ] || fail "leader-exit: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
[ "$(grep -c '^Thread ' "$WORK/dump.out")" -ge 2 ] || fail "leader-exit: the workers are missing: $(cat "$WORK/dump.out")"
assert_grep 'spinner' "$WORK/dump.out"
"$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1 >"$WORK/out" 2>"$WORK/err" ||
    fail "leader-exit: --batch exited $?: $(cat "$WORK/err")"
assert_grep 'lifecycle_spin' "$WORK/out"
"$SPYTOP" record -p "$pid" -d 1 -o "$WORK/leader.spytop" 2>"$WORK/err" ||
    fail "leader-exit: record exited $?: $(cat "$WORK/err")"
"$SPYTOP" report "$WORK/leader.spytop" --format collapsed >"$WORK/out" || fail "leader-exit: report exited $?"
assert_grep 'spinner;lifecycle_spin' "$WORK/out"
assert_untouched "$pid" '[RSDZ]'
kill -KILL "$pid"

# --- the same, and then the one running worker returns: the process lives
# on in a thread that sleeps (one spytop does not trace: parked), and is
# still followed to the end, not let go as gone.
start_target leader_worker "$TARGETS/lifecycle" leader-exit-worker 1
pid=$TARGET_PID
note "leader-exit-worker: target $pid"
wait_zombie_leader "$pid" leader-exit-worker
"$SPYTOP" -p "$pid" --batch --idle --iterations 3 --delay 1 >"$WORK/out" 2>"$WORK/err" ||
    fail "leader-exit-worker: --batch exited $?: $(cat "$WORK/err")"
assert_no_grep 'exited|gone|failed' "$WORK/err" "leader-exit-worker: the process was let go"
assert_no_grep 'target exited' "$WORK/out" "leader-exit-worker: the process was taken for gone"
# No command line (the leader's memory is gone): its name, as ps shows it.
assert_grep "^spytop [^ ]+: PID $pid \[lifecycle\], " "$WORK/out" "leader-exit-worker: the header's name"
[ "$(grep -c '^spytop ' "$WORK/out")" = 3 ] || fail "leader-exit-worker: not 3 tables: $(cat "$WORK/out")"
awk '/^spytop /{t = ""} {t = t $0 "\n"} END {printf "%s", t}' "$WORK/out" >"$WORK/last"
assert_grep '^Threads: 1 \(0 running, 1 sleeping' "$WORK/last" "leader-exit-worker: the sleeping worker, last"
assert_grep 'pause_forever' "$WORK/last" "leader-exit-worker: the sleeping worker's stack, last"
assert_untouched "$pid" '[RSDZ]'
kill -KILL "$pid"

# --- children forked every 10 ms: never followed, never left stopped.
start_target fork "$TARGETS/lifecycle" fork
pid=$TARGET_PID
note "fork: target $pid"
timeout -k 2 30 "$SPYTOP" -p "$pid" --batch --iterations 2 --delay 1 >"$WORK/out" 2>"$WORK/err" ||
    fail "fork: --batch exited $?: $(cat "$WORK/err")"
assert_grep 'fork_children' "$WORK/out"
timeout -k 2 30 "$SPYTOP" record -p "$pid" -d 1 -o "$WORK/fork.spytop" 2>"$WORK/err" ||
    fail "fork: record exited $?: $(cat "$WORK/err")"
assert_untouched "$pid"
untouched_children "$pid"
i=0
while [ $i -lt 20 ]; do
    dump "$pid"
    [ "$DUMP_STATUS" = 0 ] || fail "fork: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    i=$((i + 1))
done
assert_untouched "$pid"
untouched_children "$pid"
kill -KILL "$pid"

# --- a thread in vfork for 2 s: it cannot stop, the deadline keeps the
# other thread sampled, the late stop is consumed when vfork returns.
start_target vfork "$TARGETS/lifecycle" vfork 2
pid=$TARGET_PID
begin=$(date +%s%N)
timeout -k 2 30 "$SPYTOP" -p "$pid" --batch --iterations 3 --delay 1 >"$WORK/out" 2>"$WORK/err" ||
    fail "vfork: --batch exited $?: $(cat "$WORK/err")"
took=$((($(date +%s%N) - begin) / 1000000))
note "vfork: 3 s of --batch took $took ms"
[ "$took" -lt 10000 ] || fail "vfork: a 3 s run took $took ms"
assert_grep 'vfork done' "$WORK/vfork.out" "vfork: the vfork never returned"
# While the vfork thread could not stop, the main thread was still sampled.
first=$(awk '/^Sampling:/ {print; exit}' "$WORK/out")
samples=$(echo "$first" | sed -n 's/.* \([0-9]*\) samples.*/\1/p')
[ "${samples:-0}" -ge 30 ] || fail "vfork: the first second has ${samples:-no} samples: $first"
assert_grep 'lifecycle_spin' "$WORK/out"
assert_untouched "$pid"
exit 0
