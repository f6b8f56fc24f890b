#!/bin/sh
# A real gunicorn (Debian's) with 3 sync workers under a bounded local load
# (a Unix socket, nothing on the network): --subprocesses follows the master
# and its workers in --batch, dump (text and JSON) and the live view, and
# follows a HUP (workers replaced); every process untouched afterwards.
. "$(dirname "$0")/lib.sh"
require_ptrace
command -v gunicorn >/dev/null || skip "gunicorn is not installed (scripts/deps.sh installs it)"
command -v curl >/dev/null || skip "curl is not installed (scripts/deps.sh installs it)"

sock=$WORK/g.sock
start_program gunicorn gunicorn --workers 3 --bind "unix:$sock" --graceful-timeout 5 \
    --chdir "$TESTS_SRCDIR/targets" wsgi_burn:app
master=$TARGET_PID

# workers: the master's children, one a line.
workers() {
    cat /proc/"$master"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | sort -n
}

request() {
    curl -s --max-time 10 --unix-socket "$sock" http://localhost/
}

# wait_workers N: until the master has N workers and answers.
wait_workers() {
    local i=0
    until [ "$(workers | wc -l)" = "$1" ] && request 2>/dev/null | grep -q '^pid'; do
        i=$((i + 1))
        [ $i -gt 300 ] && fail "gunicorn did not start $1 workers: $(workers | tr '\n' ' ') $(cat "$WORK/gunicorn.err")"
        sleep 0.1
    done
    STARTED_PIDS="$STARTED_PIDS $(workers | tr '\n' ' ')"
}

# load SECONDS: three request loops in the background, each bounded;
# wait_load waits for them (a bare wait would wait for gunicorn too).
LOAD_PIDS=""
load() {
    local n
    for n in 1 2 3; do
        (
            end=$(($(date +%s) + $1))
            while [ "$(date +%s)" -lt "$end" ]; do request >/dev/null; done
        ) &
        LOAD_PIDS="$LOAD_PIDS $!"
    done
}
wait_load() {
    local p
    for p in $LOAD_PIDS; do wait "$p"; done
    LOAD_PIDS=""
}

# process_rows FILE: the PIDs of the last process table in a --batch output.
process_rows() {
    awk '/^ +PID Threads/ { rows = ""; on = 1; next } on && NF == 0 { on = 0 }
         on { rows = rows $1 "\n" } END { printf "%s", rows }' "$1"
}

# last_table FILE: the last table a --batch printed, into FILE.last.
last_table() {
    awk '/^spytop / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$1" >"$1.last"
}

assert_all_untouched() {
    local p
    assert_untouched "$master"
    for p in $(workers); do assert_untouched "$p"; done
}

wait_workers 3
old=$(workers | tr '\n' ' ')
note "master $master, workers $old"

# --batch: the process line and table, every worker with the hot function.
load 6
"$SPYTOP" -p "$master" -s --batch --iterations 3 --delay 1 --rows 10 \
    >"$WORK/batch.out" 2>"$WORK/batch.err" || fail "--batch -s exited $?: $(cat "$WORK/batch.err")"
last_table "$WORK/batch.out"
assert_grep '^Processes: 4 followed, 4 since the start$' "$WORK/batch.out.last"
hot=$(awk '/^ +%Own %Total/ { getline; print $5; exit }' "$WORK/batch.out.last")
[ "$hot" = burn_request ] || fail "the hottest function is '$hot', not burn_request: $(cat "$WORK/batch.out.last")"
rows=$(process_rows "$WORK/batch.out.last")
for p in $master $old; do
    echo "$rows" | grep -qx "$p" || fail "process $p not in the process table: $(cat "$WORK/batch.out")"
done
burning=$(grep -cE '^ +[0-9]+ +1 +[0-9]+ +[0-9.]+% +[0-9-]+%? +burn_request ' "$WORK/batch.out.last")
[ "$burning" -ge 2 ] || fail "fewer than 2 workers show burn_request as hottest: $(cat "$WORK/batch.out")"
assert_grep "^ +$master +$master " "$WORK/batch.out" "the thread table names each thread's process"
wait_load
assert_all_untouched

# dump: every process in turn, the master first; JSON one object each.
"$SPYTOP" dump -p "$master" -s >"$WORK/dump.out" 2>"$WORK/dump.err" ||
    fail "dump -s exited $?: $(cat "$WORK/dump.err")"
[ "$(grep -c '^Process [0-9]*: ' "$WORK/dump.out")" = 4 ] ||
    fail "dump -s did not print 4 processes: $(cat "$WORK/dump.out")"
[ "$(grep -m1 '^Process ' "$WORK/dump.out" | sed 's/Process \([0-9]*\):.*/\1/')" = "$master" ] ||
    fail "the master is not dumped first"
for p in $old; do
    assert_grep "^Process $p: .*gunicorn" "$WORK/dump.out"
done
assert_grep 'SyncWorker\.(wait|accept|run_for_one)|burn_request' "$WORK/dump.out" "workers' Python frames"
"$SPYTOP" dump -p "$master" -s --json >"$WORK/dump.json" 2>"$WORK/dump.err" ||
    fail "dump -s --json exited $?: $(cat "$WORK/dump.err")"
python3 - "$WORK/dump.json" "$master $old" <<'EOF' || fail "dump -s --json: wrong processes"
import json, sys
d = json.load(open(sys.argv[1]))
pids = sorted(p["pid"] for p in d["processes"])
want = sorted(int(x) for x in sys.argv[2].split())
assert pids == want, (pids, want)
assert all(p["threads"] and p["python"] for p in d["processes"]), d
EOF
assert_all_untouched

# A HUP of the master replaces every worker: the new ones are followed, the
# old ones let go as they exit.
load 8
"$SPYTOP" -p "$master" -s --batch --iterations 7 --delay 1 --rows 5 \
    >"$WORK/hup.out" 2>"$WORK/hup.err" &
spy=$!
sleep 2
kill -HUP "$master"
wait "$spy" || fail "--batch -s over a HUP exited $?: $(cat "$WORK/hup.err")"
wait_load
new=$(workers | tr '\n' ' ')
for p in $new; do
    case " $old " in *" $p "*) fail "worker $p was not replaced by the HUP" ;; esac
done
STARTED_PIDS="$STARTED_PIDS $new"
last_table "$WORK/hup.out"
rows=$(process_rows "$WORK/hup.out.last")
for p in $new; do
    echo "$rows" | grep -qx "$p" || fail "new worker $p not followed after the HUP: $(cat "$WORK/hup.out.last")"
done
assert_grep '^Processes: 4 followed, 7 since the start$' "$WORK/hup.out.last" "the last table after the HUP: 3 workers gone, 3 new"
for p in $old; do
    kill -0 "$p" 2>/dev/null && fail "old worker $p still runs after the HUP"
done
assert_all_untouched

# The live view: the process panel lists them; Enter keeps one.
load 6
tmux_start 120 40 "$SPYTOP" -p "$master" -s
tmux_wait_for 'Processes: 4 '
tmux_keys P
tmux_wait_for 'all processes, merged'
for p in $master $new; do
    tmux_wait_for "^ +$p +1 "
done
tmux_wait_for 'burn_request +/usr/bin/python3 /usr/bin/gunicorn' 10
tmux_keys Down Enter
tmux_wait_for 'process [0-9]+'
tmux_quit "the live view with -s"
wait_load
assert_all_untouched

# spytop SIGKILLed while it follows all four: the kernel lets every thread
# go, none stopped, none traced, no signal lost.
load 4
"$SPYTOP" -p "$master" -s --batch --delay 0.5 >/dev/null 2>&1 &
spy=$!
sleep 2
kill -KILL "$spy"
wait "$spy" 2>/dev/null
wait_load
assert_all_untouched
[ "$(request)" != "" ] || fail "gunicorn does not answer after spytop was killed"

# Ended as gunicorn should be: its workers go with it.
kill -TERM "$master"
wait_gone "$master" 15 "gunicorn did not stop after SIGTERM"
