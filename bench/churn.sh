#!/bin/sh
# Thread churn (issue 11): memory must follow the live threads, whatever
# how many were ever seen. The target (tests/targets/sleepers -c N) keeps N
# threads alive, each living 0.2-1 s (about 1.7 N born a second). spytop
# samples it (--batch) for CHURN_SECONDS; its RSS at 10 s and at the end,
# the growth between them (goal <= 10 %), its peak RSS, spytop's CPU (% of
# one core, from 10 s to the end) and the rate reached. The same for --idle
# (sleeping threads' stacks reused). RSS saws up and down by a few per cent
# as threads end and are retired (every 2 s): "at 10 s" is the mean of
# five reads a second apart from 10 s, "at the end" of the last five.
#
# usage: churn.sh BUILD_DIR [LIVE_THREADS]   (default: 1000)
# env:   CHURN_SECONDS (60, at least 20), CHURN_RATE (100)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: churn.sh BUILD_DIR [LIVE_THREADS]}
LIVE=${2:-1000}
SECONDS_RUN=${CHURN_SECONDS:-60}
[ "$SECONDS_RUN" -ge 20 ] 2>/dev/null || { echo "churn: CHURN_SECONDS must be 20 or more" >&2; exit 2; }
RATE=${CHURN_RATE:-100}
SPYTOP=$BUILD/spytop
SLEEPERS=$BUILD/tests/targets/sleepers
for f in "$SPYTOP" "$SLEEPERS"; do
    [ -x "$f" ] || { echo "churn: $f is missing; run 'make check' (it builds the targets)" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-churn.XXXXXX") || exit 2
target="" spy=""
trap '[ -n "$spy" ] && kill "$spy" 2>/dev/null; [ -n "$target" ] && kill "$target" 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
hz=$(getconf CLK_TCK)

rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }
# rss_mean PID: the mean of five reads of its RSS, a second apart.
rss_mean() {
    n=0 sum=0
    while [ $n -lt 5 ]; do
        sum=$((sum + $(rss_kb "$1")))
        n=$((n + 1))
        sleep 1
    done
    echo $((sum / 5))
}
cpu_ticks() { sed 's/.*) //' /proc/"$1"/stat | awk '{ print $12 + $13 }'; }

echo "churn: $(nproc) CPUs, $LIVE live threads, $RATE Hz, $SECONDS_RUN s, commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)"
printf '%-8s %12s %12s %8s %10s %11s %8s\n' mode "RSS@10s kB" "RSS@end kB" growth "peak kB" "spytop CPU" "Hz"
for mode in default idle; do
    "$SLEEPERS" -n 0 -b 0 -c "$LIVE" >"$WORK/target.out" 2>&1 &
    target=$!
    i=0
    while ! grep -q '^ready' "$WORK/target.out"; do
        i=$((i + 1))
        [ $i -gt 3000 ] && { echo "churn: the target did not start" >&2; exit 1; }
        sleep 0.01
    done
    # shellcheck disable=SC2046
    "$SPYTOP" -p "$target" --batch -r "$RATE" --delay 1 --rows 1 $([ $mode = idle ] && echo --idle) \
        >"$WORK/$mode.out" 2>&1 &
    spy=$!
    sleep 10
    c0=$(cpu_ticks "$spy")
    rss10=$(rss_mean "$spy")
    sleep $((SECONDS_RUN - 20))
    rss_end=$(rss_mean "$spy")
    c1=$(cpu_ticks "$spy")
    peak=$(awk '/^VmHWM:/ { print $2 }' /proc/"$spy"/status)
    kill -INT "$spy"
    wait "$spy"
    spy=""
    reached=$(sed -n 's/.* \([0-9.]*\) Hz reached.*/\1/p' "$WORK/$mode.out" | tail -n 1)
    awk -v a="$rss10" -v b="$rss_end" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v w=$((SECONDS_RUN - 10)) \
        -v mode="$mode" -v peak="$peak" -v reached="${reached:--}" 'BEGIN {
        printf "%-8s %12d %12d %7.1f%% %10d %10.1f%% %8s\n", mode, a, b, (b - a) * 100 / a, peak,
            (c1 - c0) * 100 / hz / w, reached }'
    kill "$target"
    wait "$target" 2>/dev/null
    target=""
done
