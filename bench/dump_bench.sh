#!/bin/sh
# Wall time of one-shot stack dumps of the same 4-thread target:
#   spytop dump -p PID            against
#   eu-stack -p PID               (function names only)
#   eu-stack -s -i -p PID         (source lines + inlined frames: what spytop prints)
#   gdb -nx -p PID -batch -ex 'thread apply all bt'   (when gdb is installed)
# Timed with hyperfine (each run's time parsed from --export-json with jq),
# else with a loop of our own; the tools take turns in rounds, and the median
# of all runs of each is printed.
#
# usage: dump_bench.sh BUILD_DIR [SUMMARY_FILE]
# env:   BENCH_RUNS (default 15; gdb gets half as many)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: dump_bench.sh BUILD_DIR [SUMMARY_FILE]}
SUMMARY=${2:-/dev/null}
RUNS=${BENCH_RUNS:-15}
GDB_RUNS=$(( (RUNS + 1) / 2 ))
SPYTOP=$BUILD/spytop
TARGET=$BUILD/bench/dump_target

for f in "$SPYTOP" "$TARGET"; do
    if [ ! -x "$f" ]; then
        echo "dump_bench: $f is missing; run 'make bench' in the build directory" >&2
        exit 2
    fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-dump-bench.XXXXXX") || exit 2
TARGET_PID=""

# Leaves the target as we found it: untraced and running, then kills it
# by its PID.
cleanup() {
    if [ -n "$TARGET_PID" ] && kill -0 "$TARGET_PID" 2>/dev/null; then
        tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$TARGET_PID/status" 2>/dev/null)
        state=$(awk '/^State:/ {print $2}' "/proc/$TARGET_PID/status" 2>/dev/null)
        if [ "${tracer:-0}" != 0 ]; then
            echo "dump_bench: WARNING: target $TARGET_PID is still traced (TracerPid: $tracer)" >&2
        fi
        case $state in
        t | T) echo "dump_bench: WARNING: target $TARGET_PID is left stopped ($state)" >&2 ;;
        esac
        kill -KILL "$TARGET_PID" 2>/dev/null
        wait "$TARGET_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TARGET" >"$WORK/target.out" 2>"$WORK/target.err" &
TARGET_PID=$!
i=0
while ! grep -q '^ready' "$WORK/target.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 500 ] || ! kill -0 "$TARGET_PID" 2>/dev/null; then
        echo "dump_bench: the target did not get ready: $(cat "$WORK/target.err")" >&2
        exit 2
    fi
    sleep 0.01
done

# The debug file of the libc the target uses: with it, every tool that reads
# libc's DWARF (eu-stack -s -i, gdb, spytop's inline chains and lines) has
# far more to read.
LIBC=$(awk '$6 ~ /\/libc\.so\.6$/ {print $6; exit}' "/proc/$TARGET_PID/maps")
LIBC_DEBUG=no
if [ -n "$LIBC" ]; then
    BUILD_ID=$(LC_ALL=C readelf -n "$LIBC" 2>/dev/null | awk '/Build ID:/ {print $3; exit}')
    if [ -n "$BUILD_ID" ]; then
        DEBUG_FILE=/usr/lib/debug/.build-id/$(echo "$BUILD_ID" | cut -c1-2)
        DEBUG_FILE=$DEBUG_FILE/$(echo "$BUILD_ID" | cut -c3-).debug
        [ -e "$DEBUG_FILE" ] && LIBC_DEBUG=yes
    fi
fi
echo "libc: ${LIBC:-?} build-id ${BUILD_ID:-?}"
if [ "$LIBC_DEBUG" = yes ]; then
    echo "libc debug info: PRESENT ($DEBUG_FILE): tools that read libc's DWARF pay for it"
else
    echo "libc debug info: absent under /usr/lib/debug/.build-id"
fi
echo "libc_debug $([ "$LIBC_DEBUG" = yes ] && echo 1 || echo 0)" >>"$SUMMARY"

HAVE_GDB=no
command -v gdb >/dev/null 2>&1 && HAVE_GDB=yes
HAVE_EU_STACK=no
command -v eu-stack >/dev/null 2>&1 && HAVE_EU_STACK=yes

# Names, keys and commands of the contenders.
set -- spytop spytop "$SPYTOP dump -p $TARGET_PID"
if [ $HAVE_EU_STACK = yes ]; then
    set -- "$@" eu-stack eu_stack "eu-stack -p $TARGET_PID"
    set -- "$@" "eu-stack -s -i" eu_stack_si "eu-stack -s -i -p $TARGET_PID"
else
    echo "eu-stack is not installed: skipped (apt-get install elfutils)"
fi
if [ $HAVE_GDB = yes ]; then
    set -- "$@" gdb gdb "gdb -nx -p $TARGET_PID -batch -ex 'thread apply all bt'"
else
    echo "gdb is not installed: skipped"
fi

# Each tool once, untimed: it must work, and files get into the page cache.
check_output() {
    name=$1 command=$2
    if ! sh -c "$command" >"$WORK/check.out" 2>"$WORK/check.err"; then
        echo "dump_bench: WARNING: '$command' failed: $(head -c 300 "$WORK/check.err")" >&2
    fi
    missing=""
    for fn in burn nap wait_forever; do
        grep -q "$fn" "$WORK/check.out" || missing="$missing $fn"
    done
    if [ -n "$missing" ]; then
        echo "output check: $name does not show:$missing"
    else
        lines=$(wc -l <"$WORK/check.out")
        echo "output check: $name shows every worker's leaf function ($lines lines)"
    fi
}
args_left=$#
while [ $args_left -gt 0 ]; do
    check_output "$1" "$3"
    : >"$WORK/$2.times"
    set -- "$@" "$1" "$2" "$3"
    shift 3
    args_left=$((args_left - 3))
done

median_of() {
    sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print 0}'
}

# Appends the wall times in ms of runs runs of a command to $WORK/KEY.times.
time_round() {
    key=$1 command=$2 runs=$3
    if [ $USE_HYPERFINE = yes ]; then
        if ! hyperfine -N --ignore-failure --style none --runs "$runs" \
            --export-json "$WORK/round.json" "$command" >"$WORK/round.log" 2>&1; then
            echo "dump_bench: hyperfine failed for '$command':" >&2
            cat "$WORK/round.log" >&2
            return
        fi
        jq -r '.results[0].times[] * 1000' "$WORK/round.json" >>"$WORK/$key.times"
    else
        n=0
        while [ $n -lt "$runs" ]; do
            start=$(date +%s%N)
            sh -c "$command" >/dev/null 2>&1
            end=$(date +%s%N)
            echo "$(((end - start) / 1000))" | awk '{print $1 / 1000}' >>"$WORK/$key.times"
            n=$((n + 1))
        done
    fi
}

# The tools take turns, a few runs each per round, so that a machine that
# drifts (shared VMs do) drifts under all of them alike.
USE_HYPERFINE=no
if command -v hyperfine >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
    USE_HYPERFINE=yes
    echo "timing with $(hyperfine --version) -N, parsed with jq from --export-json"
else
    echo "hyperfine or jq is not installed: timing with a shell loop (adds a shell start)"
fi
ROUNDS=5
per_round=$(((RUNS + ROUNDS - 1) / ROUNDS))
gdb_per_round=$(((GDB_RUNS + ROUNDS - 1) / ROUNDS))
[ $per_round -lt 2 ] && per_round=2
[ $gdb_per_round -lt 2 ] && gdb_per_round=2
echo "$ROUNDS rounds; per round $per_round runs of each tool ($gdb_per_round of gdb);" \
    "median of all runs"
round=0
while [ $round -lt $ROUNDS ]; do
    left=$#
    while [ $left -gt 0 ]; do
        runs=$per_round
        [ "$2" = gdb ] && runs=$gdb_per_round
        time_round "$2" "$3" "$runs"
        set -- "$@" "$1" "$2" "$3"
        shift 3
        left=$((left - 3))
    done
    round=$((round + 1))
done

printf '\n%-16s %6s %12s %14s  %s\n' "tool" "runs" "median ms" "spytop/tool" "command"
SPYTOP_MS=""
while [ $# -gt 0 ]; do
    name=$1 key=$2 command=$3
    shift 3
    runs=$(wc -l <"$WORK/$key.times")
    ms=$(median_of <"$WORK/$key.times" | awk '{printf "%.1f", $1}')
    [ "$key" = spytop ] && SPYTOP_MS=$ms
    rel=$(awk -v a="$SPYTOP_MS" -v b="$ms" \
        'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}')
    printf '%-16s %6s %12.1f %14s  %s\n' "$name" "$runs" "$ms" "$rel" "$command"
    echo "dump.$key.median_ms $ms" >>"$SUMMARY"
done
[ $HAVE_GDB = no ] && echo "dump.gdb.skipped 1" >>"$SUMMARY"
echo "(spytop/tool < 1: spytop is faster. Goal from the issue: spytop <= 0.5x eu-stack.)"

# After every tool has attached and detached, the target must be as it was.
tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$TARGET_PID/status")
state=$(awk '/^State:/ {print $2}' "/proc/$TARGET_PID/status")
if [ "$tracer" = 0 ] && [ "$state" != t ] && [ "$state" != T ]; then
    echo "target $TARGET_PID after all runs: untraced (TracerPid: 0), state $state"
    echo "dump.target_ok 1" >>"$SUMMARY"
else
    echo "dump_bench: WARNING: target $TARGET_PID after all runs:" \
        "TracerPid $tracer, state $state" >&2
    echo "dump.target_ok 0" >>"$SUMMARY"
fi
exit 0
