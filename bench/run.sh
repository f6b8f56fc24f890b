#!/bin/sh
# Runs every benchmark (built beforehand by `make bench`; this script builds
# nothing) and prints one summary table. Every number that matters is a
# ratio against a baseline measured in this same run.
#
# usage: run.sh BUILD_DIR
# env:   BENCH_SECONDS (8: each baseline and spytop stall run),
#        BENCH_NAIVE_SECONDS (4: each naive stall run),
#        BENCH_RUNS (15: runs per dump tool; gdb gets half),
#        OVERHEAD_* (overhead.sh) and PYBENCH_* (python.sh): see those scripts
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_SECONDS=${BENCH_SECONDS:-8}
BENCH_NAIVE_SECONDS=${BENCH_NAIVE_SECONDS:-4}

for f in "$BUILD/spytop" "$BUILD/bench/stall_bench" "$BUILD/bench/stall_probe" \
    "$BUILD/bench/dump_target" "$BUILD/bench/spin_target"; do
    if [ ! -x "$f" ]; then
        echo "run.sh: $f is missing; run 'make bench' in the build directory" >&2
        exit 2
    fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-bench.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
SUMMARY=$WORK/summary

# Can we trace at all? (root, CAP_SYS_PTRACE, or Yama allowing children.)
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo "none")

echo "spytop benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
commit=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null)
echo "machine: $(nproc) CPUs, $(uname -sr), clocksource ${clocksource:-?},"
echo "         yama ptrace_scope $scope, commit ${commit:-?}"
echo "         load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "2-core shared VMs drift: read the ratios and the baselines, not single absolute times."

status=0
echo
echo "######## stall_bench (items 1-3) ########"
"$BUILD/bench/stall_bench" -p "$BUILD/bench/stall_probe" -t "$BENCH_SECONDS" \
    -n "$BENCH_NAIVE_SECONDS" -s "$SUMMARY" || status=$?

echo
echo "######## dump_bench.sh (item 4) ########"
sh "$HERE/dump_bench.sh" "$BUILD" "$SUMMARY" || status=$?

echo
echo "######## overhead.sh (live view's cost) ########"
sh "$HERE/overhead.sh" "$BUILD" "$SUMMARY" || status=$?

echo
echo "######## rec_bench (recording size, exports, view) ########"
"$BUILD/bench/rec_bench" "${TMPDIR:-/tmp}" || status=$?

echo
echo "######## python.sh (Python frames' cost) ########"
sh "$HERE/python.sh" "$BUILD" "$SUMMARY" || status=$?

echo
echo "######## tasks.sh (dump --tasks' cost) ########"
sh "$HERE/tasks.sh" "$BUILD" "$SUMMARY" || status=$?

get() {
    awk -v k="$1" '$1 == k {print $2; found = 1} END {if (!found) print ""}' "$SUMMARY"
}

# cell VALUE: the value, or "-" when it was not measured.
cell() {
    if [ -n "$1" ]; then echo "$1"; else echo "-"; fi
}

# rel A B: A / B as "0.12x".
rel() {
    awk -v a="$1" -v b="$2" 'BEGIN {if (a != "" && b > 0) printf "%.3fx", a / b; else print "-"}'
}

metgoal() {
    case $1 in
    1 | 1.0) echo MET ;;
    0 | 0.0) echo "NOT MET" ;;
    *) echo "-" ;;
    esac
}

echo
echo "================================ SUMMARY ================================"
printf '%-44s %12s %12s\n' "stall the target sees per sample" "20 frames" "200 frames"
row() {
    label=$1 key=$2
    printf '%-44s %12s %12s\n' "$label" "$(cell "$(get "${key%%@*}20${key#*@}")")" \
        "$(cell "$(get "${key%%@*}200${key#*@}")")"
}
row "  no sampling (noise), median us" "stall.@.none.median_us"
row "  no sampling (noise), p99 us" "stall.@.none.p99_us"
row "  spytop, median us        (goal <= 40)" "stall.@.spytop.median_us"
row "  spytop, p99 us           (goal <= 300)" "stall.@.spytop.p99_us"
row "  naive _UPT unwind, median us" "stall.@.naive.median_us"
row "  naive _UPT unwind, p99 us" "stall.@.naive.p99_us"
printf '%-44s %12s %12s\n' "  spytop / naive, median" \
    "$(rel "$(get stall.20.spytop.median_us)" "$(get stall.20.naive.median_us)")" \
    "$(rel "$(get stall.200.spytop.median_us)" "$(get stall.200.naive.median_us)")"
printf '%-44s %12s %12s\n' "  spytop / naive, p99" \
    "$(rel "$(get stall.20.spytop.p99_us)" "$(get stall.20.naive.p99_us)")" \
    "$(rel "$(get stall.200.spytop.p99_us)" "$(get stall.200.naive.p99_us)")"
printf '%-44s %12s %12s\n' "  goal median <= 40 us" "$(metgoal "$(get goal.stall.20.median)")" \
    "$(metgoal "$(get goal.stall.200.median)")"
printf '%-44s %12s %12s\n' "  goal p99 <= 300 us" "$(metgoal "$(get goal.stall.20.p99)")" \
    "$(metgoal "$(get goal.stall.200.p99)")"
printf '%-44s %12s %12s\n' "  spytop at 200 / at 20 frames, median" "" \
    "$(rel "$(get stall.200.spytop.median_us)" "$(get stall.20.spytop.median_us)")"
echo
printf '%-44s %12s %12s\n' "spytop tracer side, median / p99 us" "20 frames" "200 frames"
split() {
    label=$1 part=$2
    a="$(cell "$(get "split.20.spytop.$part.median")")"
    a="$a/$(cell "$(get "split.20.spytop.$part.p99")")"
    b="$(cell "$(get "split.200.spytop.$part.median")")"
    b="$b/$(cell "$(get "split.200.spytop.$part.p99")")"
    printf '%-44s %12s %12s\n' "$label" "$a" "$b"
}
split "  interrupt -> stopped" latency
split "  registers + stack copy" copy
split "  resume" resume
split "  = held (tracer's view)" held
split "  unwind, after resume" unwind
split "  unwind, every walk in full" unwind_full
printf '%-44s %12s %12s\n' "  unwind / in full, median" \
    "$(rel "$(get split.20.spytop.unwind.median)" "$(get split.20.spytop.unwind_full.median)")" \
    "$(rel "$(get split.200.spytop.unwind.median)" "$(get split.200.spytop.unwind_full.median)")"
split "  symbolize, after resume (warm)" symbolize
split "  frames unwound" frames
echo
echo "one-shot dump of a 4-thread target, wall time (median ms)"
SP=$(get dump.spytop.median_ms)
for key in spytop eu_stack eu_stack_si gdb; do
    case $key in
    spytop) label="spytop dump -p" ;;
    eu_stack) label="eu-stack -p" ;;
    eu_stack_si) label="eu-stack -s -i -p (like for like)" ;;
    gdb) label="gdb -batch 'thread apply all bt'" ;;
    esac
    ms=$(get "dump.$key.median_ms")
    if [ -z "$ms" ]; then
        printf '  %-42s %12s\n' "$label" "skipped"
    elif [ $key = spytop ]; then
        printf '  %-42s %12s\n' "$label" "$ms"
    else
        printf '  %-42s %12s   spytop/this %s\n' "$label" "$ms" "$(rel "$SP" "$ms")"
    fi
done
ES=$(get dump.eu_stack.median_ms)
ESI=$(get dump.eu_stack_si.median_ms)
goal() {
    awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b <= 0) print "-";
        else if (a / b <= 0.5) print "MET"; else print "NOT MET"}'
}
echo "  goal spytop <= 0.5x eu-stack:  vs eu-stack $(goal "$SP" "$ES")," \
    "vs eu-stack -s -i $(goal "$SP" "$ESI")"
case $(get libc_debug) in
1) echo "  note: libc6-dbg's debug file for libc is installed: DWARF readers pay for it" ;;
0) echo "  note: no separate debug file for libc is installed" ;;
esac
if [ "$(get dump.target_ok)" != 1 ]; then
    echo "  WARNING: the dump target was not left untraced and running"
fi

# pct VALUE: "1.23%", or "-".
pct() {
    if [ -n "$1" ]; then echo "$1%"; else echo "-"; fi
}

echo
echo "live view's cost: target slowdown (own throughput; per round against that round's"
echo "alone run, median of ${OVERHEAD_ROUNDS:-3} interleaved rounds)"
printf '%-44s %12s %12s\n' "" "1 thread" "8 threads"
orow() {
    printf '%-44s %12s %12s\n' "$1" "$(pct "$(get "overhead.t1.$2")")" "$(pct "$(get "overhead.t8.$2")")"
}
orow "  spytop 100 Hz      (goal <= 1% / <= 2%)" spytop100.paired_pct
orow "  spytop 1000 Hz" spytop1000.paired_pct
orow "  perf record -g -F 100" perf100.paired_pct
orow "  perf record -g -F 1000" perf1000.paired_pct
printf '%-44s %12s %12s\n' "  spytop Hz reached at 100 / 1000 Hz asked" \
    "$(cell "$(get overhead.t1.spytop100.hz)")/$(cell "$(get overhead.t1.spytop1000.hz)")" \
    "$(cell "$(get overhead.t8.spytop100.hz)")/$(cell "$(get overhead.t8.spytop1000.hz)")"
printf '%-44s %12s %12s\n' "  spytop / perf CPU at 1000 Hz, % of a core" \
    "$(cell "$(get overhead.t1.spytop1000.cpu_pct)")/$(cell "$(get overhead.t1.perf1000.cpu_pct)")" \
    "$(cell "$(get overhead.t8.spytop1000.cpu_pct)")/$(cell "$(get overhead.t8.perf1000.cpu_pct)")"
orow "  noise: spread of the alone runs" noise_pct
orow "  noise: other processes' CPU (alone runs)" others_pct
printf '%-44s %12s %12s\n' "  goal at 100 Hz" "$(metgoal "$(get goal.overhead.t1.100)")" \
    "$(metgoal "$(get goal.overhead.t8.100)")"
printf '%-44s %12s %12s\n' "  goal at 1000 Hz: <= 3 x perf's slowdown" \
    "$(metgoal "$(get goal.overhead.t1.1000)")" "$(metgoal "$(get goal.overhead.t8.1000)")"
echo
echo "spytop at 100 Hz on 4 threads x $(cell "$(get overhead.frames)") frames, 2 CPUs"
printf '%-44s %12s %12s\n' "  CPU from 20 s on, % of a core (goal <= 3)" "$(cell "$(get overhead.cpu_pct)")" \
    "$(metgoal "$(get goal.overhead.cpu)")"
printf '%-44s %s\n' "  VmRSS kB every 10 s from 0 s" "$(cell "$(get overhead.rss_series)")"
printf '%-44s %12s %12s\n' "  VmRSS growth 20 s -> $(cell "$(get overhead.rss_end_s)") s (goal <= 10%)" \
    "$(pct "$(get overhead.rss_growth_pct)")" "$(metgoal "$(get goal.overhead.rss)")"
printf '%-44s %12s\n' "  VmRSS growth over the last 20 s" "$(pct "$(get overhead.rss_tail20_pct)")"
if [ "$(get overhead.debuginfod_loaded)" = 1 ]; then
    echo "  note: libdw loaded libdebuginfod (+curl, TLS, Kerberos) into spytop during the run"
fi
echo
echo "highest sustained rate, 4 threads on 2 CPUs (not a goal)"
printf '  %-12s' "asked Hz"
for r in 200 500 1000 2000 5000; do printf ' %8s' $r; done
printf '\n  %-12s' "reached Hz"
for r in 200 500 1000 2000 5000; do printf ' %8s' "$(cell "$(get overhead.rate.$r.reached_hz)")"; done
printf '\n  %-12s' "samples/s"
for r in 200 500 1000 2000 5000; do printf ' %8s' "$(cell "$(get overhead.rate.$r.samples_per_s)")"; done
printf '\n  %-12s' "skipped/s"
for r in 200 500 1000 2000 5000; do
    printf ' %8s' "$(awk -v s="$(get overhead.rate.$r.skipped)" -v n="${OVERHEAD_RATE_SECONDS:-5}" \
        'BEGIN {if (s != "" && n > 1) printf "%.0f", s / (n - 1); else print "-"}')"
done
printf '\n  %-12s' "late+err/s"
for r in 200 500 1000 2000 5000; do
    printf ' %8s' "$(awk -v s="$(get overhead.rate.$r.errors)" -v n="${OVERHEAD_RATE_SECONDS:-5}" \
        'BEGIN {if (s != "" && n > 1) printf "%.0f", s / (n - 1); else print "-"}')"
done
echo
if [ "$(get overhead.targets_ok)" != 1 ]; then
    echo "  WARNING: an overhead target was left traced or stopped"
fi

echo
echo "Python frames: stop per sample, us, with Python frames / --no-python (same process)"
printf '  %-9s %17s %17s %8s %8s\n' "CPython" "median py/native" "p99 py/native" "ratio" "< 2x"
for key in $(get python.keys | tr ',' ' '); do
    printf '  %-9s %17s %17s %8s %8s\n' "$(get "python.$key.version")" \
        "$(cell "$(get "python.$key.py_median_us")")/$(cell "$(get "python.$key.native_median_us")")" \
        "$(cell "$(get "python.$key.py_p99_us")")/$(cell "$(get "python.$key.native_p99_us")")" \
        "$(cell "$(get "python.$key.ratio_median")")x" "$(metgoal "$(get "goal.python.$key.stop")")"
done
printf '  %-46s %8s\n' "goal: Python frames < 2x native, every CPython" \
    "$(metgoal "$(get goal.python.stop)")"
printf '  %-46s %8s %8s\n' "target slowdown at 100 Hz, Python frames (<= 1%)" \
    "$(pct "$(get python.paired_pct)")" "$(metgoal "$(get goal.python.slowdown)")"
printf '  %-46s %8s\n' "  noise: spread of the alone runs" "$(pct "$(get python.noise_pct)")"
if [ "$(get python.targets_ok)" != 1 ]; then
    echo "  WARNING: a Python target was left traced or stopped"
fi
echo
echo "dump --tasks, $(cell "$(get tasks.count)") asyncio tasks (CPython 3.14), medians: dump / dump --tasks"
printf '  %-46s %8s %8s\n' "wall time, ms" "$(cell "$(get tasks.plain_ms)")" "$(cell "$(get tasks.tasks_ms)")"
printf '  %-46s %8s %8s\n' "loop thread held stopped, us" "$(cell "$(get tasks.plain_us)")" \
    "$(cell "$(get tasks.tasks_us)")"
printf '  %-46s %8s\n' "goal: dump --tasks < 200 ms" "$(metgoal "$(get goal.tasks)")"
if [ -n "$(get tasks.targets_ok)" ] && [ "$(get tasks.targets_ok)" != 1 ]; then
    echo "  WARNING: the tasks target was left traced or stopped"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
