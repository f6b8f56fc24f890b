#!/bin/sh
# Several processes (issue 12): 2N worker processes (bench/spin_target, one
# busy thread each, 20 calls deep) under two parent shells of N each. One
# parent is followed with `spytop -p PARENT -s --batch` at RATE Hz, the
# other is not: both halves run at the same time on the same machine, so
# the unsampled half is the baseline of the same windows (a loaded shared
# machine shifts both alike). Per window, each worker's work rate from its
# own marks; the slowdown is 1 - mean rate of the sampled workers / mean
# rate of the unsampled ones; ROUNDS windows, the median. Also spytop's CPU
# (% of one core, /proc/PID/stat) and the rate it reached.
# Goal (issue 12): 8 workers followed, each slowed <= 1 %, spytop <= 5 %.
#
# usage: processes.sh BUILD_DIR [N]   (default 8: 8 followed, 8 not)
# env:   PROCESSES_WINDOW (3: seconds a window), PROCESSES_ROUNDS (5),
#        PROCESSES_RATE (100)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: processes.sh BUILD_DIR [N]}
N=${2:-8}
WINDOW=${PROCESSES_WINDOW:-3}
ROUNDS=${PROCESSES_ROUNDS:-5}
RATE=${PROCESSES_RATE:-100}
SPYTOP=$BUILD/spytop
SPIN=$BUILD/bench/spin_target
[ -x "$SPYTOP" ] || { echo "processes: $SPYTOP is missing; build first" >&2; exit 2; }
[ -x "$SPIN" ] || make -C "$BUILD" bench/spin_target >/dev/null ||
    { echo "processes: cannot build $SPIN" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-processes.XXXXXX") || exit 2
parents=""
spy=""
cleanup() {
    [ -n "$spy" ] && kill "$spy" 2>/dev/null
    # The workers by PID (the parents' children), then the parents.
    for w in $(cat "$WORK"/workers.* 2>/dev/null); do kill "$w" 2>/dev/null; done
    for p in $parents; do kill "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
hz=$(getconf CLK_TCK)

# start_half NAME: a parent shell with N workers; their PIDs in
# $WORK/workers.NAME, each worker's marks in $WORK/NAME.I.out.
start_half() {
    sh -c 'i=0; while [ $i -lt "$1" ]; do "$2" 1 20 600 >"$3.$i.out" & i=$((i + 1)); done; wait' \
        "spin-$1" "$N" "$SPIN" "$WORK/$1" &
    eval "parent_$1=$!"
    parents="$parents $!"
    local i=0
    while [ "$(cat "$WORK/$1".*.out 2>/dev/null | grep -c '^ready')" -lt "$N" ]; do
        i=$((i + 1))
        [ $i -gt 1000 ] && { echo "processes: the $1 workers did not start" >&2; exit 1; }
        sleep 0.01
    done
    eval "cat /proc/\$parent_$1/task/*/children" | tr ' ' '\n' | grep . | sort >"$WORK/workers.$1"
}

# marks NAME: each worker's units now ("PID UNITS NS"), sorted by PID.
marks() {
    for w in $(cat "$WORK/workers.$1"); do kill -USR1 "$w"; done
    sleep 0.2
    for f in "$WORK/$1".*.out; do
        awk '/^ready/ { p = $2 } /^mark/ { u = $3; t = $2 } END { print p, u, t }' "$f"
    done | sort
}

# rate NAME: the mean work rate of a half's workers between marks A and B.
rate() {
    join "$WORK/$1.a" "$WORK/$1.b" | awk '{ r += ($4 - $2) / (($5 - $3) / 1e9); n++ } END { print r / n }'
}

cpu_ticks() {
    sed 's/.*) //' /proc/"$1"/stat | awk '{ print $12 + $13 }'
}

start_half spied
start_half alone
"$SPYTOP" -p "$parent_spied" -s --batch -r "$RATE" --delay 1 >"$WORK/batch.out" 2>"$WORK/batch.err" &
spy=$!
sleep 2 # attached to all, past the first symbol loads
: >"$WORK/slowdowns"
t0=$(cpu_ticks "$spy")
s0=$(date +%s.%N)
r=0
while [ $r -lt "$ROUNDS" ]; do
    marks spied >"$WORK/spied.a"
    marks alone >"$WORK/alone.a"
    sleep "$WINDOW"
    marks spied >"$WORK/spied.b"
    marks alone >"$WORK/alone.b"
    echo "$(rate spied) $(rate alone)" | awk '{ printf "%.3f\n", 100 * (1 - $1 / $2) }' >>"$WORK/slowdowns"
    r=$((r + 1))
done
t1=$(cpu_ticks "$spy")
s1=$(date +%s.%N)
kill -INT "$spy"
wait "$spy"
spy=""
for w in $(cat "$WORK/workers.spied"); do
    tr=$(awk '/^TracerPid:/ { print $2 }' /proc/"$w"/status)
    [ "$tr" = 0 ] || echo "processes: WARNING: worker $w still traced by $tr" >&2
done

sort -n "$WORK/slowdowns" | awk -v hz="$hz" -v t="$((t1 - t0))" -v s0="$s0" -v s1="$s1" \
    -v n="$N" -v rate="$RATE" -v rounds="$ROUNDS" -v win="$WINDOW" '
    { d[NR] = $1 }
    END {
        printf "%d workers followed (-s), %d not, %d Hz, %d windows of %d s\n", n, n, rate, rounds, win
        printf "slowdown of the followed workers against the others: median %.2f %%, range %.2f .. %.2f %%  (goal <= 1 %%)\n", d[int((NR + 1) / 2)], d[1], d[NR]
        printf "spytop CPU: %.1f %% of one core  (goal <= 5 %%)\n", 100 * t / hz / (s1 - s0)
    }'
grep -E '^(Processes|Sampling)' "$WORK/batch.out" | tail -2
