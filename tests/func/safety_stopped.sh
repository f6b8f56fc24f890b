#!/bin/sh
# A target stopped by SIGSTOP stays stopped through a dump (which still
# shows its stacks), and runs again on SIGCONT.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
kill -STOP "$pid"
sleep 0.2
states=$(thread_states "$pid")
[ "$states" = TTTTT ] || fail "setup: states '$states' after SIGSTOP"
dump "$pid"
[ "$DUMP_STATUS" = 0 ] || fail "dump of a stopped target exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
assert_grep 'worker_gamma' "$WORK/dump.out"
assert_grep 'stopped by a signal' "$WORK/dump.out"
sleep 0.2
states=$(thread_states "$pid")
[ "$states" = TTTTT ] || fail "after the dump the stopped target shows '$states', expected TTTTT"
assert_untouched "$pid" T
# Still stopped a while later: nothing resumed it behind our back.
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 0.5
t2=$(awk '{print $14 + $15}' "/proc/$pid/stat")
[ "$t1" = "$t2" ] || fail "the stopped target used CPU after the dump ($t1 -> $t2 ticks)"
kill -CONT "$pid"
sleep 0.3
t3=$(awk '{print $14 + $15}' "/proc/$pid/stat")
[ "$t3" -gt "$t2" ] || fail "the target did not run again after SIGCONT"
assert_untouched "$pid"
kill "$pid"

# Under --idle, sleepers' stacks are reused while they have not run: a
# SIGSTOP wakes every thread into its group-stop, which ends the reuse.
# The process stays stopped while spytop samples it, its threads show as
# stopped, and it runs again on SIGCONT.
start_target sleepers "$TARGETS/sleepers" -n 10 -b 1
pid=$TARGET_PID
"$SPYTOP" -p "$pid" --batch --idle --delay 0.5 --window 1 >"$WORK/idle.out" 2>"$WORK/idle.err" &
spy=$!
sleep 1.2
kill -STOP "$pid"
sleep 1.2
states=$(thread_states "$pid")
# Traced, a group-stopped thread shows as t (tracing stop).
case $states in *[!Tt]*) fail "--idle: states '$states' while stopped under spytop" ;; esac
# Nor is a stopped thread woken each tick: its snapshot in the stop is
# reused (src/sampler.c), so no thread of the stopped process is switched
# in or out while spytop samples it (a wake-up counts a context switch).
switches() {
    cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/ctxt_switches:/ { n += $NF } END { print n + 0 }'
}
c1=$(switches)
sleep 0.6
c2=$(switches)
[ "$c1" = "$c2" ] || fail "--idle: the stopped target's threads were switched $((c2 - c1)) times in 0.6 s"
states=$(thread_states "$pid")
case $states in *[!Tt]*) fail "--idle: states '$states' a while later" ;; esac
kill -CONT "$pid"
sleep 1
kill -INT "$spy"
wait "$spy" || fail "--idle: spytop exited $?: $(cat "$WORK/idle.err")"
assert_grep '^Threads: 12 \(0 running, 0 sleeping, 12 stopped' "$WORK/idle.out" \
    "--idle: no report with every thread stopped"
assert_untouched "$pid"
exit 0
