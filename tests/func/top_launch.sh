#!/bin/sh
# spytop -- COMMAND: launches it, profiles it, and exits with its status.
. "$(dirname "$0")/lib.sh"
require_ptrace

status=0
"$SPYTOP" --batch --delay 0.3 -- sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; exit 7' \
    >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" = 7 ] || fail "expected the command's status 7, got $status: $(cat "$WORK/err")"
assert_grep 'target exited \(exit code 7\)' "$WORK/out"

# The command's arguments are its own, options included.
status=0
"$SPYTOP" --batch --delay 0.3 -- "$TARGETS/recurse" 3 >"$WORK/out" 2>"$WORK/err" &
spy=$!
sleep 1.5
kill -TERM "$spy"
wait "$spy" || status=$?
# Quitting ends the command too (SIGTERM), and spytop returns its status.
[ "$status" = 143 ] || fail "expected 143 (command ended by SIGTERM), got $status: $(cat "$WORK/err")"
assert_grep 'recurse' "$WORK/out"

# Attached right after exec, before the loader maps libc: libc frames are
# still named once it is mapped (unknown pcs are not cached).
status=0
"$SPYTOP" --batch -n 2 --delay 1 --rows 30 -- "$TARGETS/threads" >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" = 143 ] || fail "threads under -- ended with $status: $(cat "$WORK/err")"
awk '/^spytop /{n++} n == 2' "$WORK/out" >"$WORK/last"
assert_grep 'start_thread .*\[libc\.so\.6\]' "$WORK/last"
assert_grep 'worker_alpha' "$WORK/last"
assert_no_grep '  \?\?( |$)' "$WORK/last" "frames left unnamed"

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
