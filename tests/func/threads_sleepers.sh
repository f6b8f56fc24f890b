#!/bin/sh
# Threads that do not run are not stopped (src/sampler.c). The sleepers
# target blocks threads five ways (pause, nanosleep, a condition variable,
# a pipe read, epoll_wait) next to a busy one. Wake-ups are counted from
# the sleepers' own context switches while spytop samples them; a pure
# sleeper has none of its own, so each one is spytop's.
. "$(dirname "$0")/lib.sh"
require_ptrace

KINDS="pause nanosleep condvar piperead epoll"

# snapshot_switches PID FILE: one "KIND COUNT" line per kind: the
# voluntary + nonvoluntary context switches of PID's threads named KIND,
# summed. Two processes in all, so that it is quick on a loaded machine.
snapshot_switches() {
    grep -H . /proc/"$1"/task/*/comm /proc/"$1"/task/*/status 2>/dev/null | awk -v kinds="$KINDS" '
        { split($0, p, "/"); tid = p[5] }
        /\/comm:/ { sub(/^[^:]*:/, ""); comm[tid] = $0 }
        /ctxt_switches:/ { n[tid] += $NF }
        END {
            k = split(kinds, names, " ")
            for (i = 1; i <= k; i++) {
                s = 0
                for (t in n) if (comm[t] == names[i]) s += n[t]
                print names[i], s
            }
        }' >"$2"
}

# assert_counts_add_up FILE: every Threads: line adds up.
assert_counts_add_up() {
    grep '^Threads: ' "$1" | awk '{
        total = $2; sub(/^\(/, "", $3); sum = 0
        for (i = 3; i <= NF; i++) {
            if ($(i + 1) ~ /^(running|sleeping|stopped|late)/) sum += $i
            if ($(i + 1) ~ /\)/) break
        }
        if (sum != total) { print "bad: " $0; exit 1 }
    }' >"$WORK/addup" || fail "thread counts do not add up: $(cat "$WORK/addup")"
}

# traced_threads PID: how many of PID's threads have a tracer.
traced_threads() {
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^TracerPid:/ && $2 != 0 { n++ } END { print n + 0 }'
}

# sample_sleepers NAME SECONDS ARGS...: spytop --batch on $pid with ARGS;
# the sleepers' switches over SECONDS from 1.5 s in, while spytop is still
# attached, are in $WORK/NAME.before and $WORK/NAME.after (attaching and
# detaching stay out of the window), and the count of traced threads at
# the window's end in $WORK/NAME.traced. spytop then stops on SIGINT.
sample_sleepers() {
    local name=$1 secs=$2
    shift 2
    "$SPYTOP" -p "$pid" --batch --delay 1 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    spy=$!
    sleep 1.5
    snapshot_switches "$pid" "$WORK/$name.before"
    sleep "$secs"
    snapshot_switches "$pid" "$WORK/$name.after"
    traced_threads "$pid" >"$WORK/$name.traced"
    kill -0 "$spy" 2>/dev/null || fail "$name: spytop ended early: $(cat "$WORK/$name.err")"
    kill -INT "$spy"
    wait "$spy" || fail "$name: spytop exited $?: $(cat "$WORK/$name.err")"
    assert_counts_add_up "$WORK/$name.out"
}

# woken NAME KIND: the KIND sleepers' switches in NAME's window.
woken() {
    echo $(($(awk -v k="$2" '$1 == k { print $2 }' "$WORK/$1.after") - \
        $(awk -v k="$2" '$1 == k { print $2 }' "$WORK/$1.before")))
}

start_target sleepers "$TARGETS/sleepers" -n 50 -b 1
pid=$TARGET_PID

# Default view: no sleeper is stopped. Before, each was stopped at every
# tick: some 100 wake-ups a second each. One in the whole window for the
# ten of a kind would already be a bug; the bound leaves room for nothing.
sample_sleepers default 3
for k in $KINDS; do
    w=$(woken default "$k")
    note "default view: $k sleepers woken $w times in 3 s"
    [ "$w" -le 1 ] || fail "default view: the $k sleepers were woken $w times in 3 s"
done
# Stopped per tick: the busy thread (and now and then a sleeper the
# scheduler briefly ran), never the 50 sleepers.
per_tick=$(awk '/^Threads: / { for (i = 1; i <= NF; i++) if ($(i + 1) == "stopped" && $(i + 2) == "per") v = $i } END { print v }' "$WORK/default.out")
awk -v v="$per_tick" 'BEGIN { exit !(v != "" && v + 0 <= 3) }' ||
    fail "default view: ${per_tick:-?} threads stopped per tick: $(grep '^Threads' "$WORK/default.out")"
note "default view: $per_tick threads stopped per tick (median) of 52"
assert_grep '^Threads: 52 \([0-9]+ running, [0-9]+ sleeping, 0 stopped, [0-9]+ late\)' \
    "$WORK/default.out" "default view: the thread counts"
assert_grep 'busy_spin' "$WORK/default.out" "default view: the busy thread"
# A sleeper is not even traced (src/tracer.h, Tracer_seize_on_demand): the
# leader and the busy thread are, and one the scheduler briefly ran may be.
traced=$(cat "$WORK/default.traced")
note "default view: $traced of 52 threads traced"
[ "$traced" -le 4 ] || fail "default view: $traced of 52 threads traced (the sleepers too)"
assert_untouched "$pid"

# --idle: the sleepers' stacks are wanted. Each is stopped once, then its
# stack is reused while it provably has not run (src/sampler.h): few
# wake-ups, few threads stopped per tick, every blocking call shown.
sample_sleepers idle 2 --idle --rows 60
for fn in pause_wait nanosleep_wait condvar_wait piperead_wait epoll_wait_loop busy_spin; do
    assert_grep " $fn " "$WORK/idle.out" "--idle: no $fn"
done
for k in $KINDS; do
    w=$(woken idle "$k")
    note "--idle: $k sleepers woken $w times in 2 s"
    # Each stop is two switches; 10 sleepers of a kind at 100 Hz were ~4,000.
    [ "$w" -le 4 ] || fail "--idle: the $k sleepers were woken $w times in 2 s"
done
per_tick=$(awk '/^Threads: / { for (i = 1; i <= NF; i++) if ($(i + 1) == "stopped" && $(i + 2) == "per") v = $i } END { print v }' "$WORK/idle.out")
awk -v v="$per_tick" 'BEGIN { exit !(v != "" && v + 0 <= 3) }' ||
    fail "--idle: ${per_tick:-?} threads stopped per tick: $(grep '^Threads' "$WORK/idle.out")"
note "--idle: $per_tick threads stopped per tick (median) of 52"
# Waiting threads count as sleeping, epoll's (whose call fails with EINTR
# when stopped) too.
assert_grep '^Threads: 52 \([0-9] running, 5[0-9] sleeping' "$WORK/idle.out" "--idle: the thread states"
# Each sleeper, once its stack is taken, is let go untraced (parked).
traced=$(cat "$WORK/idle.traced")
note "--idle: $traced of 52 threads traced"
[ "$traced" -le 4 ] || fail "--idle: $traced of 52 threads traced (the sleepers too)"
assert_untouched "$pid"

# record keeps idle samples: the same reuse, marked in the recording.
"$SPYTOP" record -p "$pid" -d 2 -o "$WORK/sleepers.spytop" 2>"$WORK/rec.err" ||
    fail "record exited $?: $(cat "$WORK/rec.err")"
"$SPYTOP" report "$WORK/sleepers.spytop" --idle >"$WORK/rec.txt" || fail "report exited $?"
assert_grep '^Reused: [0-9]+ samples of threads asleep since their last stop' "$WORK/rec.txt" \
    "record: no reused samples"
for fn in pause_wait nanosleep_wait condvar_wait piperead_wait epoll_wait_loop; do
    assert_grep " $fn " "$WORK/rec.txt" "record: no $fn"
done
assert_untouched "$pid"

# SPYTOP_SLEEPER_REUSE=check stops every reusable thread anyway and
# compares: a reused stack never differs from a fresh one.
SPYTOP_SLEEPER_REUSE=check "$SPYTOP" -p "$pid" --batch --idle --delay 2 --iterations 1 \
    >"$WORK/check.out" 2>"$WORK/check.err" || fail "reuse check: exited $?: $(cat "$WORK/check.err")"
assert_no_grep 'sleeper reuse: tid' "$WORK/check.err" "reuse check: a reused stack differs"
set -- $(sed -n 's/^spytop: sleeper reuse: \([0-9]*\) checks, \([0-9]*\) mismatches$/\1 \2/p' "$WORK/check.err")
[ $# = 2 ] || fail "reuse check: no summary: $(cat "$WORK/check.err")"
note "reuse check: $1 checks, $2 mismatches"
[ "$1" -ge 1000 ] && [ "$2" = 0 ] || fail "reuse check: $1 checks, $2 mismatches"
# Both ways of knowing that a sleeper has not run (src/oncpu.h): above, its
# perf watch's page (where perf events are allowed, as here); now its
# schedstat, as where they are not. The same bounds hold.
export SPYTOP_ONCPU=schedstat
sample_sleepers default-ss 3
for k in $KINDS; do
    w=$(woken default-ss "$k")
    [ "$w" -le 1 ] || fail "default view, schedstat: the $k sleepers were woken $w times in 3 s"
done
SPYTOP_SLEEPER_REUSE=check "$SPYTOP" -p "$pid" --batch --idle --delay 2 --iterations 1 \
    >"$WORK/check-ss.out" 2>"$WORK/check-ss.err" || fail "reuse check, schedstat: exited $?"
assert_grep '^spytop: sleeper reuse: [0-9]{4,} checks, 0 mismatches$' "$WORK/check-ss.err" \
    "reuse check, schedstat: the summary"
unset SPYTOP_ONCPU
# SPYTOP_SLEEPER_REUSE=0: stopped at every tick, as before.
SPYTOP_SLEEPER_REUSE=0 "$SPYTOP" -p "$pid" --batch --idle --delay 1 --iterations 1 \
    >"$WORK/noreuse.out" 2>&1 || fail "reuse off: exited $?"
per_tick=$(awk '/^Threads: / { for (i = 1; i <= NF; i++) if ($(i + 1) == "stopped" && $(i + 2) == "per") v = $i } END { print v }' "$WORK/noreuse.out")
awk -v v="$per_tick" 'BEGIN { exit !(v + 0 >= 40) }' ||
    fail "reuse off: only ${per_tick:-?} threads stopped per tick"
assert_untouched "$pid"

# With few descriptors (ulimit -n 40: a budget of 20 kept stat files for 52
# threads) the stat files past the budget are opened and closed each tick:
# spytop still works and still leaves the sleepers asleep.
(ulimit -n 40 && sample_sleepers lowfd 2) || fail "ulimit -n 40: spytop failed"
for k in $KINDS; do
    w=$(woken lowfd "$k")
    [ "$w" -le 1 ] || fail "ulimit -n 40: the $k sleepers were woken $w times in 2 s"
done
assert_grep 'busy_spin' "$WORK/lowfd.out" "ulimit -n 40: the busy thread"
assert_untouched "$pid"
kill "$pid"

# A thread that sleeps 10 ms and spins 10 ms (50 Hz) is caught running
# about half the time, as it runs: a thread asleep at one tick's state read
# is sampled at the next one where it runs.
start_target wave "$TARGETS/sleepers" -n 0 -b 0 -w
pid=$TARGET_PID
"$SPYTOP" -p "$pid" --batch --delay 4 --iterations 1 --rows 40 >"$WORK/wave.out" 2>"$WORK/wave.err" ||
    fail "wave: spytop exited $?: $(cat "$WORK/wave.err")"
# Two threads (main asleep, wave): all samples and the idle ones.
set -- $(sed -n 's/^Window: [0-9]* s, \([0-9]*\) thread samples (\([0-9]*\) idle.*/\1 \2/p' "$WORK/wave.out")
[ $# = 2 ] && [ "$1" -gt 100 ] || fail "wave: no window line: $(cat "$WORK/wave.out")"
running=$(awk -v all="$1" -v idle="$2" 'BEGIN { printf "%.0f", (all - idle) * 100 / (all / 2) }')
note "wave: running in $running % of its samples"
assert_near "$running" 50 15 "wave: % of its samples running"
assert_grep ' wave_spin ' "$WORK/wave.out" "wave: its spinning function"
assert_untouched "$pid"
# With --idle, it sleeps and runs in turn: each wake-up ends the reuse of
# its stack (half of its samples in nanosleep, half spinning).
"$SPYTOP" -p "$pid" --batch --idle --delay 4 --iterations 1 --rows 30 >"$WORK/wave-idle.out" \
    2>"$WORK/wave-idle.err" || fail "wave --idle: spytop exited $?: $(cat "$WORK/wave-idle.err")"
share() { awk -v f="$2" '$0 ~ " " f " " { print int($2 + 0.5); exit }' "$1"; }
# Of all samples, the main thread's (asleep) half; wave_spin in as many of
# the wave's as it was seen running above (a loaded machine lowers both).
spin=$(share "$WORK/wave-idle.out" wave_spin)
expect=$((running / 2))
note "wave --idle: wave_spin in ${spin:-?} % of all samples ($expect expected)"
[ -n "$spin" ] || fail "wave --idle: no wave_spin: $(cat "$WORK/wave-idle.out")"
assert_near "$spin" "$expect" 10 "wave --idle: wave_spin's share"
assert_untouched "$pid"
kill "$pid"

# A thread that wakes, runs another function and sleeps elsewhere: its
# reused stack must follow it. The mover alternates between two waits on
# each SIGUSR1 to the process; under check, no reused stack may differ.
start_target mover "$TARGETS/sleepers" -n 0 -b 0 -m
pid=$TARGET_PID
# sample_mover NAME REUSE: 3 s of --idle (SPYTOP_SLEEPER_REUSE=REUSE) while
# the mover moves every 250 ms; output in $WORK/NAME.out and .err.
sample_mover() {
    SPYTOP_SLEEPER_REUSE=$2 "$SPYTOP" -p "$pid" --batch --idle --delay 3 --iterations 1 --rows 40 \
        >"$WORK/$1.out" 2>"$WORK/$1.err" &
    spy=$!
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        sleep 0.25
        kill -USR1 "$pid"
    done
    wait "$spy" || fail "$1: spytop exited $?: $(cat "$WORK/$1.err")"
}
sample_mover mover ""
first=$(share "$WORK/mover.out" mover_first_wait)
second=$(share "$WORK/mover.out" mover_second_wait)
note "mover: first wait ${first:-0} %, second wait ${second:-0} % of all samples"
# Two threads (main asleep): the mover's half splits between its waits.
[ "${first:-0}" -ge 10 ] && [ "${second:-0}" -ge 10 ] ||
    fail "mover: its stack did not follow it: first ${first:-0} %, second ${second:-0} %"
sample_mover mover-check check
assert_no_grep 'sleeper reuse: tid' "$WORK/mover-check.err" "mover: a reused stack differs"
assert_grep 'sleeper reuse: [0-9]+ checks, 0 mismatches' "$WORK/mover-check.err" "mover: the check summary"
export SPYTOP_ONCPU=schedstat
sample_mover mover-check-ss check
unset SPYTOP_ONCPU
assert_grep 'sleeper reuse: [0-9]+ checks, 0 mismatches' "$WORK/mover-check-ss.err" \
    "mover, schedstat: the check summary"
assert_untouched "$pid"

# CPU shares: each refresh reads the stat only of the threads the sampler
# cannot prove idle since the last one (src/live.c); the others keep their
# CPU time. The mover idles 2 s, then is woken every 250 ms to run: its
# process's CPU column (two processes: the column is shown) goes from 0 %
# to some 10 % (its utime says as much), which a thread wrongly taken for
# idle would not show.
start_target other "$TARGETS/sleepers" -n 2 -b 0
"$SPYTOP" -p "$pid,$TARGET_PID" --batch --delay 1 >"$WORK/cpu.out" 2>"$WORK/cpu.err" &
spy=$!
sleep 2.5
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    sleep 0.25
    kill -USR1 "$pid"
done
kill -INT "$spy"
wait "$spy" || fail "CPU shares: spytop exited $?: $(cat "$WORK/cpu.err")"
awk -v p="$pid" '$1 == p && $5 ~ /%$/ { print $5 + 0 }' "$WORK/cpu.out" >"$WORK/cpu.col"
note "CPU shares: the mover's process: $(tr '\n' ' ' <"$WORK/cpu.col")"
head -n 1 "$WORK/cpu.col" | grep -qx 0 || fail "CPU shares: the idle mover's process not at 0 %: $(tr '\n' ' ' <"$WORK/cpu.col")"
awk '$1 >= 4 { found = 1 } END { exit !found }' "$WORK/cpu.col" ||
    fail "CPU shares: the moving mover's process never at 4 % or more: $(tr '\n' ' ' <"$WORK/cpu.col")"
assert_untouched "$pid"
kill "$pid"
exit 0
