#!/bin/sh
# --batch: the hot list in plain text, with the right shares, on real
# targets; idle handling; thread filter; duration; clean exits.
. "$(dirname "$0")/lib.sh"
require_ptrace

# assert_aligned FILE: every table in FILE has its columns lined up: each
# row's function, location and module start where the header's Function,
# Location and [Module] do (after two spaces), a missing location is
# blank, and a module is named once.
assert_aligned() {
    awk '
    /^ +%Own +%Total +OwnTime +TotalTime  Function  / {
        f = index($0, "Function"); l = index($0, "Location"); m = index($0, "[Module]")
        if (!(f < l && l < m)) { print "header out of order: " $0; bad = 1 }
        rows = 1; next
    }
    rows && /^$/ { rows = 0; next }
    rows && /^\(/ { next } # (no samples in the window)
    rows {
        n++
        if (substr($0, f - 2, 3) !~ /^  [^ ]$/) { print "function not at " f ": " $0; bad = 1 }
        loc = substr($0, l - 2, m - l + 2)
        if (loc !~ /^  [^ ].*  $/ && loc !~ /^ +$/) { print "location not at " l ": " $0; bad = 1 }
        if (substr($0, m - 2) !~ /^  \[[^]]*\]$/) { print "module not at " m ": " $0; bad = 1 }
        if (gsub(/\[[^]]*\]/, "&") > 1) { print "module named twice: " $0; bad = 1 }
    }
    END { if (!n) { print "no rows"; bad = 1 } exit bad }' "$1" >"$WORK/aligned" ||
        fail "--batch columns not aligned in $1: $(cat "$WORK/aligned")"
}

# Two functions at 75 % / 25 % of the time.
start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID
# +-3 points needs some 2000 samples: 400 Hz, three tables 2 s apart, the
# last one over the whole 6 s (window 10 s).
"$SPYTOP" -p "$pid" --batch -r 400 --window 10 --iterations 3 --delay 2 --rows 10 >"$WORK/out" 2>"$WORK/err" ||
    fail "spytop --batch exited $?: $(cat "$WORK/err")"
[ "$(grep -c '^spytop ' "$WORK/out")" = 3 ] || fail "expected 3 tables: $(cat "$WORK/out")"
awk '/^spytop /{n++} n == 3' "$WORK/out" >"$WORK/last"
hot=$(pct_of ratio_hot "$WORK/last")
warm=$(pct_of ratio_warm "$WORK/last")
assert_near "$hot" 75 3 "ratio_hot %Own"
assert_near "$warm" 25 3 "ratio_warm %Own"
first=$(grep -Eo 'ratio_(hot|warm)' "$WORK/last" | head -1)
[ "$first" = ratio_hot ] || fail "ratio_hot is not listed first: $(cat "$WORK/last")"
assert_grep 'ratio_hot  +targets/ratio\.c:[0-9]+  +\[ratio\]$' "$WORK/last"
assert_aligned "$WORK/out"
assert_grep '^Sampling: 400 Hz asked' "$WORK/last"
assert_untouched "$pid"

# By line: the rows are source lines of the target.
"$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1 --by-line --rows 5 >"$WORK/out" 2>&1 ||
    fail "--by-line exited $?"
assert_grep 'by line' "$WORK/out"
assert_grep 'ratio_(hot|warm)  +targets/ratio\.c:[0-9]+' "$WORK/out"
assert_aligned "$WORK/out"
assert_untouched "$pid"

# --duration ends the run on time, with status 0.
start_s=$(date +%s.%N)
"$SPYTOP" -p "$pid" --batch --delay 0.5 -d 1.5 >"$WORK/out" 2>&1 || fail "--duration run exited $?"
took=$(awk -v a="$start_s" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
awk -v t="$took" 'BEGIN { exit !(t >= 1.4 && t < 4) }' || fail "-d 1.5 took ${took}s"
assert_untouched "$pid"
kill "$pid"

# Four busy threads: each has its own hot function, about a quarter each
# (of the running threads' samples; the work itself is in target_burn).
start_target threads "$TARGETS/threads"
pid=$TARGET_PID
"$SPYTOP" -p "$pid" --batch --iterations 1 --delay 3 --rows 10 >"$WORK/out" 2>&1 || fail "threads run exited $?"
for fn in worker_alpha worker_beta worker_gamma worker_delta; do
    assert_near "$(total_of "$fn" "$WORK/out")" 25 6 "$fn %Total"
done
# One thread only.
tid=$(grep -l '^gamma$' /proc/"$pid"/task/*/comm | head -1 | cut -d/ -f5)
[ -n "$tid" ] || fail "no thread named gamma"
"$SPYTOP" -p "$pid" --threads "$tid" --batch --iterations 1 --delay 1.5 >"$WORK/out" 2>&1 || fail "--threads run exited $?"
assert_near "$(total_of worker_gamma "$WORK/out")" 100 1 "worker_gamma alone"
assert_no_grep 'worker_alpha|worker_beta|worker_delta' "$WORK/out"
assert_untouched "$pid"
kill "$pid"

# A sleeping target: nothing hot unless idle threads are included.
start_target chain "$TARGETS/chain" sleep
pid=$TARGET_PID
"$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1.5 >"$WORK/out" 2>&1 || fail "idle run exited $?"
assert_grep 'no samples in the window' "$WORK/out"
assert_grep 'idle, excluded' "$WORK/out"
"$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1.5 --idle >"$WORK/out" 2>&1 || fail "--idle run exited $?"
assert_near "$(pct_of clock_nanosleep "$WORK/out")" 100 1 "clock_nanosleep with --idle"
assert_grep 'chain_inner' "$WORK/out"

# The target exits during --batch: a last table that says so, status 0.
start_target short "$TARGETS/ratio"
short=$TARGET_PID
"$SPYTOP" -p "$short" --batch --delay 0.5 >"$WORK/out" 2>"$WORK/err" &
spy=$!
sleep 1.2
kill -KILL "$short"
status=0
wait "$spy" || status=$?
[ "$status" = 0 ] || fail "spytop exited $status when the target died: $(cat "$WORK/err")"
tail -n 30 "$WORK/out" | grep -q 'target exited (killed by SIGKILL)' || fail "no final table saying the target exited: $(tail -n 20 "$WORK/out")"

# Functions without a name (no symbols, no debug file): "??" in the
# function column, the module once, in its column; the columns still line
# up (by line too).
cp "$TARGETS/inlined-stripped" "$WORK/lonely"
start_target lonely "$WORK/lonely"
"$SPYTOP" -p "$TARGET_PID" --batch --iterations 2 --delay 1 --rows 10 >"$WORK/out" 2>"$WORK/err" ||
    fail "--batch on a target without symbols exited $?: $(cat "$WORK/err")"
assert_grep '^ +[0-9.]+ +[0-9.]+ +[0-9.a-z]+ +[0-9.a-z]+  \?\? +\[lonely\]$' "$WORK/out"
assert_no_grep '\[lonely\].*\[lonely\]' "$WORK/out" "the module named twice"
assert_aligned "$WORK/out"
"$SPYTOP" -p "$TARGET_PID" --batch --iterations 1 --delay 1 --by-line >"$WORK/out" 2>"$WORK/err" ||
    fail "--batch --by-line on a target without symbols exited $?: $(cat "$WORK/err")"
assert_aligned "$WORK/out"
assert_untouched "$TARGET_PID"
kill "$TARGET_PID"

# SIGINT, SIGTERM, SIGHUP: spytop detaches and exits 0; the target runs on.
for sig in INT TERM HUP; do
    "$SPYTOP" -p "$pid" --batch --delay 0.2 >"$WORK/out" 2>&1 &
    spy=$!
    sleep 0.8
    kill -s "$sig" "$spy"
    status=0
    wait "$spy" || status=$?
    [ "$status" = 0 ] || fail "spytop exited $status on SIG$sig"
    assert_untouched "$pid"
done
exit 0
