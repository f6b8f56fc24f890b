#!/bin/sh
# Several processes (issue 12): N worker processes (bench/spin_target, one
# busy thread each, 20 calls deep) under one parent shell, followed with
# `spytop -p PARENT -s --batch` at RATE Hz. Windows of the same workers, one
# after the other: alone, under spytop, alone again. For each worker its
# work rate (spin_target's own marks); its slowdown is 1 - rate under
# spytop / mean of the two rates alone (one run, ratios only). Prints the
# median and worst worker's slowdown, spytop's CPU (% of one core, from
# /proc/PID/stat), the rate reached and the processes followed.
# Goal (issue 12): each worker's slowdown <= 1 %, spytop <= 5 % of a core.
# With more busy workers than cores they share them: the slowdown is then
# read against that share, in the same run.
#
# usage: processes.sh BUILD_DIR [WORKERS]   (default 8)
# env:   PROCESSES_WINDOW (5: seconds each window), PROCESSES_RATE (100)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: processes.sh BUILD_DIR [WORKERS]}
N=${2:-8}
WINDOW=${PROCESSES_WINDOW:-5}
RATE=${PROCESSES_RATE:-100}
SPYTOP=$BUILD/spytop
SPIN=$BUILD/bench/spin_target
[ -x "$SPYTOP" ] || { echo "processes: $SPYTOP is missing; build first" >&2; exit 2; }
[ -x "$SPIN" ] || make -C "$BUILD" bench/spin_target >/dev/null ||
    { echo "processes: cannot build $SPIN" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-processes.XXXXXX") || exit 2
parent=""
spy=""
cleanup() {
    [ -n "$spy" ] && kill "$spy" 2>/dev/null
    # The workers by PID (the parent's children), then the parent.
    for w in $(cat "$WORK/workers" 2>/dev/null); do kill "$w" 2>/dev/null; done
    [ -n "$parent" ] && kill "$parent" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
hz=$(getconf CLK_TCK)

# The parent: a shell that starts the workers and waits; each worker's
# marks go to its own file.
sh -c 'i=0; while [ $i -lt "$1" ]; do "$2" 1 20 600 >"$3/w$i.out" & i=$((i + 1)); done; wait' \
    spin-parent "$N" "$SPIN" "$WORK" &
parent=$!
i=0
while [ "$(cat "$WORK"/w*.out 2>/dev/null | grep -c '^ready')" -lt "$N" ]; do
    i=$((i + 1))
    [ $i -gt 1000 ] && { echo "processes: the workers did not start" >&2; exit 1; }
    sleep 0.01
done
cat /proc/"$parent"/task/*/children | tr ' ' '\n' | grep . >"$WORK/workers"
[ "$(wc -l <"$WORK/workers")" = "$N" ] || { echo "processes: expected $N workers" >&2; exit 1; }

# marks: each worker's work units now, one line "PID UNITS NS" each.
marks() {
    for w in $(cat "$WORK/workers"); do kill -USR1 "$w"; done
    sleep 0.2
    n=0
    for w in $(cat "$WORK/workers"); do
        f=$(grep -l "^ready $w\$" "$WORK"/w*.out 2>/dev/null | head -1)
        [ -n "$f" ] || f=$WORK/w$n.out
        tail -1 "$f" | awk -v p="$w" '/^mark/ { print p, $3, $2 }'
        n=$((n + 1))
    done
}

# window NAME: the work rate of each worker over WINDOW seconds, into
# $WORK/NAME ("PID units/s").
window() {
    marks >"$WORK/$1.a"
    sleep "$WINDOW"
    marks >"$WORK/$1.b"
    join "$WORK/$1.a" "$WORK/$1.b" | awk '{ print $1, ($4 - $2) / (($5 - $3) / 1e9) }' >"$WORK/$1"
}

cpu_ticks() {
    sed 's/.*) //' /proc/"$1"/stat | awk '{ print $12 + $13 }'
}

sort -o "$WORK/workers" "$WORK/workers"
window alone1
"$SPYTOP" -p "$parent" -s --batch -r "$RATE" --delay 1 >"$WORK/batch.out" 2>"$WORK/batch.err" &
spy=$!
sleep 2 # attached to all, past the first symbol loads
t0=$(cpu_ticks "$spy")
window spied
t1=$(cpu_ticks "$spy")
kill -INT "$spy"
wait "$spy"
spy=""
window alone2

for w in $(cat "$WORK/workers"); do
    tr=$(awk '/^TracerPid:/ { print $2 }' /proc/"$w"/status)
    [ "$tr" = 0 ] || echo "processes: WARNING: worker $w still traced by $tr" >&2
done

awk -v hz="$hz" -v t="$((t1 - t0))" -v win="$WINDOW" -v n="$N" -v rate="$RATE" '
    FILENAME ~ /alone1$/ { a1[$1] = $2 }
    FILENAME ~ /alone2$/ { a2[$1] = $2 }
    FILENAME ~ /spied$/ { s[$1] = $2 }
    END {
        k = 0
        for (p in s) {
            base = (a1[p] + a2[p]) / 2
            if (base <= 0) continue
            d[++k] = 100 * (1 - s[p] / base)
        }
        # sort the slowdowns
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (d[j] < d[i]) { x = d[i]; d[i] = d[j]; d[j] = x }
        cpu = 100 * t / hz / (win + 0.4)
        printf "%d workers, %d Hz, %d s windows (alone, spytop -s, alone)\n", n, rate, win
        printf "worker slowdown: median %.2f %%, worst %.2f %%, best %.2f %%  (goal <= 1 %% each)\n", d[int((k + 1) / 2)], d[k], d[1]
        printf "spytop CPU: %.1f %% of one core  (goal <= 5 %%)\n", cpu
    }' "$WORK/alone1" "$WORK/alone2" "$WORK/spied"
grep -E '^(Processes|Sampling)' "$WORK/batch.out" | tail -2
