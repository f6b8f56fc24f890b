#!/bin/sh
# Job control while spytop samples: the target stops itself with SIGSTOP
# (it stays stopped exactly as without spytop, spytop goes on and shows it
# stopped, SIGCONT resumes it), then a third process sends SIGSTOP and
# SIGCONT every millisecond for seconds: the target ends in the state the
# last signal says, as an untraced control does, and spytop never hangs.
. "$(dirname "$0")/lib.sh"
require_ptrace

# settle PID PATTERN WHAT: waits until the thread states match PATTERN (an
# extended regex, anchored). While spytop is attached a group-stopped
# thread shows 't' rather than 'T': the kernel holds a seized thread's
# group-stop as a tracing stop, which PTRACE_LISTEN leaves in place.
settle() {
    local i=0
    until thread_states "$1" | grep -Eqx -- "$2"; do
        i=$((i + 1))
        [ $i -gt 300 ] && fail "$3: states '$(thread_states "$1")', expected '$2'"
        sleep 0.01
    done
}

# cpu_ticks PID: the target's CPU time, in clock ticks.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

# assert_still PID T1 WHAT: the stopped target has not run since T1. Its
# spinning threads would take some 30 ticks in these 0.3 s; a tick or two
# is the kernel waking each stopped thread to report spytop's interrupt
# (then parked again with PTRACE_LISTEN): 1 tick in 3 s of sampling here.
assert_still() {
    local now
    now=$(cpu_ticks "$1")
    [ $((now - $2)) -le 2 ] || fail "$3: the stopped target ran ($2 -> $now ticks)"
}

# --- the target stops itself 1 s into sampling.
for cmd in batch record; do
    start_target "self_$cmd" "$TARGETS/lifecycle" self-stop 1
    pid=$TARGET_PID
    case $cmd in
    batch) "$SPYTOP" -p "$pid" --batch --delay 0.5 --idle >"$WORK/out" 2>"$WORK/err" & ;;
    record) "$SPYTOP" record -p "$pid" -o "$WORK/self.spytop" >"$WORK/out" 2>"$WORK/err" & ;;
    esac
    spy=$!
    settle "$pid" '[tT]{3}' "self-stop, $cmd"
    sleep 1.2 # sampled while stopped
    settle "$pid" '[tT]{3}' "self-stop, $cmd: a second later"
    t1=$(cpu_ticks "$pid")
    sleep 0.3
    assert_still "$pid" "$t1" "self-stop, $cmd"
    kill -0 "$spy" || fail "self-stop, $cmd: spytop ended while the target was stopped: $(cat "$WORK/err")"
    kill -CONT "$pid"
    settle "$pid" 'R{3}' "self-stop, $cmd: after SIGCONT"
    sleep 0.5
    kill -INT "$spy"
    wait "$spy" || fail "self-stop, $cmd: spytop exited $?: $(cat "$WORK/err")"
    assert_grep '^continued' "$WORK/self_$cmd.out"
    assert_untouched "$pid"
    case $cmd in
    batch) assert_grep 'Threads: 3 \(0 running, 0 sleeping, 3 stopped, 0 late\)' "$WORK/out" \
        "self-stop: the live view never showed the threads stopped" ;;
    record)
        "$SPYTOP" report "$WORK/self.spytop" --idle --format collapsed >"$WORK/folded" 2>&1 ||
            fail "self-stop: report exited $?: $(cat "$WORK/folded")"
        # Stopped in raise, running in the spin: both in the recording.
        assert_grep 'raise' "$WORK/folded"
        assert_grep 'lifecycle_spin' "$WORK/folded" ;;
    esac
    kill -KILL "$pid"
done

# --- SIGSTOP/SIGCONT every millisecond for 3 s, ending on STOP, then CONT.
storm() {
    local pid=$1 end
    end=$(($(date +%s) + 3))
    while [ "$(date +%s)" -lt "$end" ]; do
        kill -STOP "$pid"
        sleep 0.001
        kill -CONT "$pid"
        sleep 0.001
    done
    kill -STOP "$pid"
}

for cmd in control batch record dump; do
    start_target "storm_$cmd" "$TARGETS/threads"
    pid=$TARGET_PID
    spy=
    case $cmd in
    batch) "$SPYTOP" -p "$pid" -r 500 --batch --delay 0.5 >"$WORK/out" 2>"$WORK/err" & spy=$! ;;
    record) "$SPYTOP" record -p "$pid" -r 500 -o "$WORK/storm.spytop" >"$WORK/out" 2>"$WORK/err" & spy=$! ;;
    dump)
        # A background shell ignores SIGINT: this loop ends on a file, or
        # with the target (so a failing test's clean-up never waits on it).
        rm -f "$WORK/stop-dumping"
        (while [ ! -e "$WORK/stop-dumping" ] && kill -0 "$pid" 2>/dev/null; do
            "$SPYTOP" dump -p "$pid" >/dev/null 2>>"$WORK/err"
        done) &
        spy=$! ;;
    esac
    sleep 0.3
    storm "$pid"
    settle "$pid" '[tT]{5}' "storm, $cmd: after the last SIGSTOP"
    if [ -n "$spy" ]; then
        sleep 0.5
        kill -0 "$spy" || fail "storm, $cmd: spytop died: $(cat "$WORK/err")"
        if [ "$cmd" = dump ]; then touch "$WORK/stop-dumping"; else kill -INT "$spy"; fi
        # A hung spytop would not end: give it 10 s.
        wait_gone "$spy" 10 "storm, $cmd: spytop hangs after SIGINT"
        status=0
        wait "$spy" || status=$?
        [ "$status" = 0 ] || fail "storm, $cmd: spytop exited $status: $(cat "$WORK/err")"
    fi
    # As the control: stopped, not traced, and staying so.
    settle "$pid" 'T{5}' "storm, $cmd: after spytop"
    assert_untouched "$pid" T
    t1=$(cpu_ticks "$pid")
    sleep 0.3
    assert_still "$pid" "$t1" "storm, $cmd"
    kill -CONT "$pid"
    settle "$pid" 'SR{4}' "storm, $cmd: after SIGCONT"
    assert_untouched "$pid"
    kill -KILL "$pid"
done
exit 0
