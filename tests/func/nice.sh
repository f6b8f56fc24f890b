#!/bin/sh
# --nice: spytop runs at nice -10 while attached (where permitted), so the
# scheduler does not preempt it while it holds a thread stopped; an explicit
# --nice is set as given; a priority already higher is kept; a command
# started with -- keeps the nice value spytop was started with.
. "$(dirname "$0")/lib.sh"
require_ptrace
[ "$(id -u)" = 0 ] || skip "raising a priority needs root (or CAP_SYS_NICE)"

# nice_of PID: field 19 of /proc/PID/stat (the name before may hold ')').
nice_of() {
    tr '\n' ' ' <"/proc/$1/stat" | sed -e 's/.*) //' | awk '{print $17}'
}

# spy_nice EXPECTED WHAT ARGS...: runs spytop --batch with ARGS for 2 s and
# checks its nice value 1 s in.
spy_nice() {
    local expected=$1 what=$2
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" &
    spy=$!
    sleep 1
    got=$(nice_of "$spy")
    [ "$got" = "$expected" ] || fail "$what: spytop's nice is '$got', expected $expected"
    wait "$spy" || fail "$what: spytop exited $?: $(cat "$WORK/err")"
}

# What this shell runs at (0, unless the suite itself was started niced).
base=$(nice_of $$)
default=-10
[ "$base" -lt -10 ] && default=$base

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
spy_nice "$default" "default" "$SPYTOP" -p "$pid" --batch --iterations 2 --delay 1
spy_nice 5 "--nice 5" "$SPYTOP" -p "$pid" --nice 5 --batch --iterations 2 --delay 1
spy_nice 0 "--nice 0" "$SPYTOP" -p "$pid" --nice 0 --batch --iterations 2 --delay 1
spy_nice -15 "started at -15" nice -n $((-15 - base)) "$SPYTOP" -p "$pid" --batch --iterations 2 --delay 1
spy_nice "$default" "record" "$SPYTOP" record -p "$pid" -d 2 -o "$WORK/rec.spytop"
[ "$(nice_of "$pid")" = "$base" ] || fail "the target's nice changed to $(nice_of "$pid")"
assert_untouched "$pid"
kill "$pid"

# A command started with --: it keeps spytop's first nice value.
"$SPYTOP" --batch --iterations 2 --delay 1 -- "$TARGETS/threads" >"$WORK/out" 2>"$WORK/err" &
spy=$!
sleep 1
child=$(pgrep -P "$spy" | head -n 1)
[ -n "$child" ] || fail "no command under spytop: $(cat "$WORK/err")"
[ "$(nice_of "$spy")" = "$default" ] || fail "spytop -- COMMAND runs at nice $(nice_of "$spy")"
[ "$(nice_of "$child")" = "$base" ] || fail "the command runs at nice $(nice_of "$child"), not $base"
status=0
wait "$spy" || status=$?
[ "$status" = 0 ] || fail "spytop -- threads ended with $status: $(cat "$WORK/err")"

# Usage errors.
status=0
"$SPYTOP" -p "$$" --nice 20 2>"$WORK/err" || status=$?
[ "$status" = 64 ] || fail "--nice 20 exited $status"
assert_grep "invalid --nice '20': expected -20 to 19" "$WORK/err"
exit 0
