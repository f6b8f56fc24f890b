#!/bin/sh
# spytop -- COMMAND: launches it, profiles it, and exits with its status.
. "$(dirname "$0")/lib.sh"
require_ptrace

# The command is seized before its exec, so however quickly it ends spytop
# gives its status: loops, since a race shows only in some runs.
LOOPS=${SPYTOP_TEST_LAUNCHES:-30}

# expect_status WANT WHAT CMD...: runs CMD, which must exit WANT.
expect_status() {
    local want=$1 what=$2 status=0
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
    [ "$status" = "$want" ] || fail "$what: expected the command's status $want, got $status: $(cat "$WORK/err")"
}

i=0
while [ $i -lt "$LOOPS" ]; do
    i=$((i + 1))
    expect_status 0 "--batch -- true, run $i" "$SPYTOP" --batch -- true
    assert_grep 'target exited \(exit code 0\)' "$WORK/out"
    expect_status 7 "--batch -- exit 7, run $i" "$SPYTOP" --batch --delay 0.3 -- sh -c 'exit 7'
    assert_grep 'target exited \(exit code 7\)' "$WORK/out"
    rm -f "$WORK/short.spytop"
    expect_status 3 "record -- exit 3, run $i" "$SPYTOP" record -o "$WORK/short.spytop" -- sh -c 'exit 3'
    "$SPYTOP" report "$WORK/short.spytop" >/dev/null 2>"$WORK/err" ||
        fail "report of a recorded short command, run $i: $(cat "$WORK/err")"
done
note "$LOOPS launches each of true, exit 7 and a recorded exit 3 gave their status"
# Killed by a signal: 128 + its number, in both modes.
i=0
while [ $i -lt 5 ]; do
    i=$((i + 1))
    expect_status 143 "--batch -- kill -TERM \$\$, run $i" \
        "$SPYTOP" --batch -- sh -c 'kill -TERM $$'
    assert_grep 'target exited \(killed by SIGTERM\)' "$WORK/out"
    rm -f "$WORK/short.spytop"
    expect_status 143 "record -- kill -TERM \$\$, run $i" \
        "$SPYTOP" record -o "$WORK/short.spytop" -- sh -c 'kill -TERM $$'
done

# The live view: the exit shows on screen, and q returns its status.
i=0
while [ $i -lt 3 ]; do
    i=$((i + 1))
    tmux_start 110 30 "$SPYTOP" -- sh -c 'exit 7'
    tmux_wait_for 'EXITED \(exit code 7\)'
    tmux_keys q
    tmux_wait_exit
    [ "$TMUX_STATUS" = 7 ] || fail "live view -- exit 7, run $i: status $TMUX_STATUS: $(cat "$WORK/tmux.stderr")"
    tmux -L "$TMUX_SOCKET" kill-server
    TMUX_STARTED=
done
tmux_start 110 30 "$SPYTOP" -- sh -c 'kill -TERM $$'
tmux_wait_for 'EXITED \(killed by SIGTERM\)'
tmux_keys q
tmux_wait_exit
[ "$TMUX_STATUS" = 143 ] || fail "live view -- kill -TERM \$\$: status $TMUX_STATUS: $(cat "$WORK/tmux.stderr")"
tmux -L "$TMUX_SOCKET" kill-server
TMUX_STARTED=

# A short command's samples are there, from its start to its exit: brief
# spins 1 s in brief_hot and exits 5. At 100 Hz about 100 ticks, but how
# many spytop takes depends on the CPU it gets: 22 to 81 at a load of 15
# on 2 cores, 4 at 18. So: a few samples, nearly all in brief_hot (the
# first may fall in the loader, which runs before main).
i=0
while [ $i -lt 3 ]; do
    i=$((i + 1))
    expect_status 5 "--batch -- brief, run $i" "$SPYTOP" --batch --delay 5 --rows 40 -- "$TARGETS/brief" 1000 5
    awk '/^spytop /{n++} END{print n}' "$WORK/out" >"$WORK/blocks"
    awk -v n="$(cat "$WORK/blocks")" '/^spytop /{k++} k == n' "$WORK/out" >"$WORK/last"
    assert_grep 'target exited \(exit code 5\)' "$WORK/last"
    samples=$(sed -n 's/^Window: [^,]*, \([0-9]*\) thread samples.*/\1/p' "$WORK/last")
    [ "${samples:-0}" -ge 3 ] || fail "brief, run $i: $samples samples of 1 s at 100 Hz: $(cat "$WORK/last")"
    hot=$(pct_of brief_hot "$WORK/last")
    note "brief, run $i: $samples samples, brief_hot $hot %"
    assert_near "$hot" 100 34 "brief, run $i: brief_hot's own share of a command that spins in it"
done

# The command's arguments are its own, options included.
status=0
"$SPYTOP" --batch --delay 0.3 -- "$TARGETS/recurse" 3 >"$WORK/out" 2>"$WORK/err" &
spy=$!
sleep 1.5
kill -TERM "$spy"
wait "$spy" || status=$?
# Quitting ends the command too (SIGTERM): a normal end, exit 0, said in
# one line (the command's own status passes through only when it ended by
# itself, as above).
[ "$status" = 0 ] || fail "expected 0 (spytop ended the command), got $status: $(cat "$WORK/err")"
assert_grep '^spytop: stopped the command \(PID [0-9]+\) with SIGTERM$' "$WORK/err"
assert_grep 'recurse' "$WORK/out"

# Attached at the exec, before the loader maps libc: libc frames are still
# named once it is mapped (unknown pcs are not cached). The loader's own
# early frames may be sampled too: Debian ships ld.so without a symbol
# table (its debug file is in libc6-dbg), so only they may stay unnamed.
status=0
"$SPYTOP" --batch --iterations 2 --delay 1 --rows 30 -- "$TARGETS/threads" >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" = 0 ] || fail "threads under -- ended with $status: $(cat "$WORK/err")"
assert_grep '^spytop: stopped the command' "$WORK/err"
awk '/^spytop /{n++} n == 2' "$WORK/out" >"$WORK/last"
assert_grep 'start_thread .*\[libc\.so\.6\]' "$WORK/last"
assert_grep 'worker_alpha' "$WORK/last"
grep -Ev '  \?\? +\[ld-linux[^]]*\]$' "$WORK/last" >"$WORK/named"
assert_no_grep '  \?\?( |$)' "$WORK/named" "frames left unnamed"

# A command that cannot run: one clear line, status 2.
status=0
"$SPYTOP" --batch -- /nonexistent/command >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" = 2 ] || fail "missing command: status $status"
assert_grep "^spytop: cannot run '/nonexistent/command': No such file or directory\$" "$WORK/err"

# Both a PID and a command: usage error.
status=0
"$SPYTOP" -p 1 -- true >/dev/null 2>"$WORK/err" || status=$?
[ "$status" = 64 ] || fail "-p with -- COMMAND: status $status"
exit 0
