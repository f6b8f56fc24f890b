# Helpers for functional tests: start targets, check they are left exactly
# as they were, clean up only what the test started. Sourced by each test.
# Exit codes: 0 pass, 1 fail, 77 skip (automake's convention).

set -u
: "${SPYTOP:?SPYTOP must name the spytop binary}"
: "${TARGETS:?TARGETS must name the tests/targets build directory}"
export LC_ALL=C
unset DEBUGINFOD_URLS

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-$TEST_NAME.XXXXXX")
STARTED_PIDS=""

cleanup() {
    for pid in $STARTED_PIDS; do
        kill -CONT "$pid" 2>/dev/null
        kill -KILL "$pid" 2>/dev/null
    done
    # Whatever else a failing test left in the background (a spytop, a
    # loop): ended, so the wait below cannot hang the suite.
    # (jobs -p into a file, not $(...): dash's subshell would see none.)
    jobs -p >"$WORK/.jobs" 2>/dev/null
    for pid in $(cat "$WORK/.jobs" 2>/dev/null); do
        kill -TERM "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $TEST_NAME: $*" >&2
    exit 77
}

note() {
    echo "# $*"
}

# A build may leave some tests out (scripts/check.sh says which and why).
case " ${SPYTOP_TEST_SKIP:-} " in
*" $TEST_NAME "*) skip "left out of this build's run (SPYTOP_TEST_SKIP, see scripts/check.sh)" ;;
esac

# Tests need ptrace: root, or a permissive setup.
require_ptrace() {
    sleep 30 &
    local probe=$!
    STARTED_PIDS="$STARTED_PIDS $probe"
    if ! "$SPYTOP" dump -p "$probe" >/dev/null 2>"$WORK/probe.err"; then
        if grep -q "permission denied" "$WORK/probe.err"; then
            skip "ptrace is not permitted here: $(cat "$WORK/probe.err")"
        fi
    fi
    kill "$probe" 2>/dev/null
}

# start_target NAME CMD [ARGS...]: runs a target in the background, waits
# for its "ready" line and sets TARGET_PID. Its stdout goes to $WORK/NAME.out.
start_target() {
    local name=$1
    shift
    # A "ready" left by an earlier target of the same name must not count:
    # the shell truncates the file only once the new child runs.
    rm -f "$WORK/$name.out" "$WORK/$name.err"
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    TARGET_PID=$!
    STARTED_PIDS="$STARTED_PIDS $TARGET_PID"
    local i=0
    while ! grep -q '^ready' "$WORK/$name.out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 500 ] && fail "target $name did not get ready: $(cat "$WORK/$name.err")"
        kill -0 "$TARGET_PID" 2>/dev/null || fail "target $name died: $(cat "$WORK/$name.err")"
        sleep 0.01
    done
}

# start_program NAME CMD [ARGS...]: a real program that prints no "ready":
# start it and give it a moment to get going.
start_program() {
    local name=$1
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    TARGET_PID=$!
    STARTED_PIDS="$STARTED_PIDS $TARGET_PID"
    sleep "${START_DELAY:-0.5}"
    kill -0 "$TARGET_PID" 2>/dev/null || fail "program $name died: $(cat "$WORK/$name.err")"
}

# wait_for_comm PID NAME: waits (up to 10 s) until PID's command name is
# NAME, e.g. until a shell has exec'd the program it was started for.
wait_for_comm() {
    local i=0
    while [ "$(cat /proc/"$1"/comm 2>/dev/null)" != "$2" ]; do
        i=$((i + 1))
        [ $i -gt 1000 ] && fail "$2 (pid $1) did not start: comm is $(cat /proc/"$1"/comm 2>/dev/null)"
        sleep 0.01
    done
}

# wait_for_line PATTERN FILE SECONDS MESSAGE: waits until FILE has a line
# matching PATTERN (grep -E); fails with MESSAGE after SECONDS.
wait_for_line() {
    local i=0
    until grep -Eq -- "$1" "$2" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt $(($3 * 100)) ] && fail "$4: $(tail -n 5 "$2" 2>/dev/null)"
        sleep 0.01
    done
}

# wait_gone PID SECONDS MESSAGE: waits until PID (a child of this shell)
# has ended; fails with MESSAGE when it still runs after SECONDS.
wait_gone() {
    local i=0
    while kill -0 "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt $(($2 * 20)) ] && fail "$3"
        sleep 0.05
    done
}

# assert_signals_counted PID COUNTS_FILE N WHAT: asks the signals target to
# end (SIGUSR2) and checks it counted N of each signal sent, in order.
assert_signals_counted() {
    kill -USR2 "$1"
    wait "$1" || fail "$4: the signals target exited with $?"
    [ "$(cat "$2")" = "usr1=$3 rt=$3 misordered=0" ] ||
        fail "$4: sent $3 of each, the target counted: $(cat "$2")"
}

# stat_state FILE: the state letter of a /proc stat file. The name before
# it may hold anything, ')' and newlines too: the state follows the last ')'.
stat_state() {
    tr '\n' ' ' 2>/dev/null <"$1" | sed -e 's/.*) //' -e 's/ .*//'
}

# thread_states PID: one state letter per thread.
thread_states() {
    local t
    for t in /proc/"$1"/task/*; do
        stat_state "$t/stat"
    done | tr -d '\n'
}

# assert_untouched PID [EXPECTED_STATE_PATTERN]: every thread untraced and
# none in tracing stop ('t'); by default none stopped ('T') either.
assert_untouched() {
    local pid=$1 allowed=${2:-'[RSD]'} t tracer state
    kill -0 "$pid" 2>/dev/null || fail "target $pid is gone"
    for t in /proc/"$pid"/task/*; do
        [ -e "$t/status" ] || continue
        tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "$t/status" 2>/dev/null)
        state=$(stat_state "$t/stat")
        [ -z "$tracer" ] || [ -z "$state" ] && continue # exited meanwhile
        [ "$tracer" = 0 ] || fail "thread ${t##*/} of $pid still traced by $tracer"
        case "$state" in
        t) fail "thread ${t##*/} of $pid left in tracing stop" ;;
        $allowed) ;;
        *) fail "thread ${t##*/} of $pid in state '$state', expected $allowed" ;;
        esac
    done
}

# assert_grep PATTERN FILE [MESSAGE]
assert_grep() {
    grep -Eq -- "$1" "$2" || fail "${3:-expected /$1/ in $2}: $(head -c 3000 "$2")"
}

assert_no_grep() {
    if grep -Eq -- "$1" "$2"; then fail "${3:-unexpected /$1/ in $2}: $(head -c 3000 "$2")"; fi
}

# dump PID [ARGS...]: spytop dump into $WORK/dump.out, status in DUMP_STATUS.
dump() {
    local pid=$1
    shift
    DUMP_STATUS=0
    "$SPYTOP" dump -p "$pid" "$@" >"$WORK/dump.out" 2>"$WORK/dump.err" || DUMP_STATUS=$?
}

# frames_of_thread TID FILE: the frame lines of one thread of a text dump.
frames_of_thread() {
    awk -v tid="$1" '/^Thread /{on = ($2 == tid)} on && /^  #/' "$2"
}

# call_order FILE REGEX: the names in FILE's frames that match REGEX (a
# grep BRE alternation), innermost first, each followed by a space.
call_order() {
    grep -o -- "$2" "$1" | tr -d ' +' | tr '\n' ' '
}

# source_line FILE TEXT: the number of the line of source FILE with TEXT.
source_line() {
    grep -n -- "$2" "$1" | cut -d: -f1
}

# --- the live view in a private tmux server --------------------------------

# tmux_start COLS ROWS CMD...: runs CMD in a new private tmux server; its
# exit status lands in $WORK/tmux.status.
tmux_start() {
    command -v tmux >/dev/null || skip "tmux is not installed"
    # A new server each time: one just killed may still be going away.
    TMUX_SERVERS=$(( ${TMUX_SERVERS:-0} + 1 ))
    TMUX_SOCKET=spytop-test-$$-$TMUX_SERVERS
    local cols=$1 rows=$2
    shift 2
    local cmd=""
    for a in "$@"; do cmd="$cmd '$a'"; done
    # The status of an earlier run in this test must not pass for this one's.
    rm -f "$WORK/tmux.status"
    tmux -L "$TMUX_SOCKET" -f /dev/null new-session -d -x "$cols" -y "$rows" \
        "env LANG=C.UTF-8 $cmd 2>$WORK/tmux.stderr; echo \$? >$WORK/tmux.status; sleep 30"
    TMUX_STARTED=1
}

tmux_capture() {
    tmux -L "$TMUX_SOCKET" capture-pane -p >"$WORK/screen"
}

tmux_keys() {
    tmux -L "$TMUX_SOCKET" send-keys "$@"
}

# tmux_wait_for PATTERN [SECONDS]: until the screen shows PATTERN.
tmux_wait_for() {
    local i=0 limit=$(( ${2:-10} * 10 ))
    while :; do
        tmux_capture
        grep -Eq -- "$1" "$WORK/screen" && return 0
        i=$((i + 1))
        [ $i -gt $limit ] && fail "screen never showed /$1/: $(cat "$WORK/screen")"
        sleep 0.1
    done
}

# tmux_wait_exit [SECONDS]: until spytop in the pane exited; sets TMUX_STATUS.
tmux_wait_exit() {
    local i=0 limit=$(( ${1:-10} * 10 ))
    while [ ! -s "$WORK/tmux.status" ]; do
        i=$((i + 1))
        [ $i -gt $limit ] && fail "spytop did not exit: $(tmux_capture; cat "$WORK/screen")"
        sleep 0.1
    done
    TMUX_STATUS=$(cat "$WORK/tmux.status")
}

# tmux_quit WHAT: q, then spytop in the pane must exit 0; the server goes.
tmux_quit() {
    tmux_keys q
    tmux_wait_exit
    [ "$TMUX_STATUS" = 0 ] || fail "$1 exited $TMUX_STATUS: $(cat "$WORK/tmux.stderr")"
    tmux -L "$TMUX_SOCKET" kill-server
    TMUX_STARTED=
}

tmux_cleanup() {
    [ -n "${TMUX_STARTED:-}" ] && tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
    cleanup
}
trap tmux_cleanup EXIT

# pct_of FUNCTION FILE: the %Own of FUNCTION's row in a captured table.
pct_of() {
    awk -v f="$1" '{ for (i = 1; i <= NF; i++) if ($i == f) { print $1; exit } }' "$2"
}

# assert_near VALUE EXPECTED TOLERANCE MESSAGE
assert_near() {
    awk -v v="$1" -v e="$2" -v t="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(v != "" && d <= t) }' ||
        fail "$4: got '$1', expected $2 +- $3"
}

# total_of FUNCTION FILE: the %Total of FUNCTION's row.
total_of() {
    awk -v f="$1" '{ for (i = 1; i <= NF; i++) if ($i == f) { print $2; exit } }' "$2"
}
