#!/bin/sh
# The live view's cost (issue "Live hot-spot view"), in four parts:
#   1. target slowdown: spin_target (1 and 8 threads) measures its own
#      throughput alone, under spytop at 100 and 1000 Hz and under
#      `perf record -g` at 100 and 1000 Hz, interleaved, medians;
#   2. spytop's own CPU use at 100 Hz on a 4-thread, ~30-frame target,
#      from /proc/SPYTOP_PID/stat (utime + stime);
#   3. spytop's resident memory (VmRSS) every 10 s over a 60 s run
#      (10 minutes with --long) on the same target: parts 2 and 3 are the
#      same run;
#   4. the highest rate spytop sustains on that target (not a goal).
# Prints its own tables; with SUMMARY_FILE, appends "key value" lines to it
# for run.sh's summary. Goals are printed as MET / NOT MET, never fatal.
#
# usage: overhead.sh [--long] BUILD_DIR [SUMMARY_FILE]
#   --long    only parts 2 and 3, for 10 minutes (OVERHEAD_RSS_SECONDS=600)
# env:   OVERHEAD_WINDOW (3: seconds each throughput window),
#        OVERHEAD_WARMUP (1: seconds a tool runs before the window opens),
#        OVERHEAD_ROUNDS (3: rounds of alone/spytop/perf per thread count),
#        OVERHEAD_RSS_SECONDS (60), OVERHEAD_RATE_SECONDS (5: per rate)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

LONG=no
if [ "${1:-}" = --long ]; then
    LONG=yes
    shift
fi
BUILD=${1:?usage: overhead.sh [--long] BUILD_DIR [SUMMARY_FILE]}
SUMMARY=${2:-/dev/null}
WINDOW=${OVERHEAD_WINDOW:-3}
WARMUP=${OVERHEAD_WARMUP:-1}
ROUNDS=${OVERHEAD_ROUNDS:-3}
if [ $LONG = yes ]; then
    RSS_SECONDS=${OVERHEAD_RSS_SECONDS:-600}
else
    RSS_SECONDS=${OVERHEAD_RSS_SECONDS:-60}
fi
RATE_SECONDS=${OVERHEAD_RATE_SECONDS:-5}
SPYTOP=$BUILD/spytop
TARGET=$BUILD/bench/spin_target

for f in "$SPYTOP" "$TARGET"; do
    if [ ! -x "$f" ]; then
        echo "overhead: $f is missing; run 'make bench' in the build directory" >&2
        exit 2
    fi
done

NAME=overhead
. "$(cd "$(dirname "$0")" && pwd)/bench_lib.sh"
bench_init

echo "spytop $("$SPYTOP" --version 2>/dev/null | head -n 1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

########################################################################
# Part 1: target slowdown
########################################################################
PERF_OK=no
# start_tool MODE PID OUT: MODE is alone, spytopRATE or perfRATE.
start_tool() {
    case $1 in
    alone) : >"$3" ;;
    spytop*)
        "$SPYTOP" -p "$2" --batch -r "${1#spytop}" --delay 1 --rows 3 >"$3" 2>&1 &
        TOOL_PID=$!
        ;;
    perf*)
        perf record -F "${1#perf}" -g -o /dev/null -p "$2" >"$3" 2>&1 &
        TOOL_PID=$!
        ;;
    esac
}

part1() {
    echo
    echo "== 1. Target slowdown: spin_target's own throughput (work units/s) =="
    # Can perf record here (perf_event_paranoid; without a PMU perf falls
    # back to the cpu-clock software event)?
    start_target "$WORK/perfcheck.out" "$TARGET" 1 2 60
    paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)
    if command -v perf >/dev/null 2>&1; then
        if perf record -F 100 -g -o "$WORK/perf.data" -p "$TPID" -- sleep 0.5 \
            >"$WORK/perfcheck.log" 2>&1 &&
            grep -q '([1-9][0-9]* samples)' "$WORK/perfcheck.log"; then
            PERF_OK=yes
            event=$(perf evlist -i "$WORK/perf.data" 2>/dev/null | head -n 1)
            echo "perf record works here (event ${event:-?}, perf_event_paranoid ${paranoid:-?})"
        else
            echo "perf record FAILS here (perf_event_paranoid ${paranoid:-?}): perf's rows are skipped"
            sed 's/^/    /' "$WORK/perfcheck.log" | head -n 5
        fi
    else
        echo "perf is not installed: perf's rows are skipped"
    fi
    rm -f "$WORK/perf.data"
    kill_target "$TPID" "after perf's check"

    MODES="alone spytop100 spytop1000"
    [ $PERF_OK = yes ] && MODES="$MODES perf100 perf1000"
    echo "$ROUNDS rounds of: $MODES, on one target process per thread count;"
    echo "each run: the tool starts, ${WARMUP} s later a ${WINDOW} s window is measured" \
        "(two SIGUSR1 marks), the tool stops"
    for threads in 1 8; do
        start_target "$WORK/t$threads.out" "$TARGET" "$threads" 10 3600
        pid=$TPID
        # A fresh target runs slow for a few seconds on these VMs (the idle
        # vCPU warming up): one window alone that is shown, not counted.
        measure_window "$pid" "$WORK/t$threads.out" "$WINDOW" "$WORK/t$threads.settle"
        round=1
        while [ "$round" -le "$ROUNDS" ]; do
            for mode in $MODES; do
                out=$WORK/t$threads.$mode.$round.out
                start_tool "$mode" "$pid" "$out"
                sleep "$WARMUP"
                measure_window "$pid" "$WORK/t$threads.out" "$WINDOW" "$WORK/t$threads.$mode"
                stop_tool
                case $mode in
                spytop*)
                    check_untraced "$pid" "after spytop ($mode, round $round)"
                    hz_reached "$(last_sampling "$out")" >>"$WORK/t$threads.$mode.hz"
                    ;;
                esac
            done
            round=$((round + 1))
        done
        kill_target "$pid"
    done

    for threads in 1 8; do
        echo
        echo "-- $threads thread(s), 10 frames deep, on $(nproc) CPUs: median of $ROUNDS runs --"
        printf '%-17s %10s %9s %8s %7s %6s %7s  %s\n' "mode" "units/s" "slowdown" "paired" "Hz" \
            "tool%" "others%" "every run's units/s"
        base=$(median_file "$WORK/t$threads.alone.rates")
        for mode in $MODES; do
            med=$(median_file "$WORK/t$threads.$mode.rates")
            hz=$(median_file "$WORK/t$threads.$mode.hz")
            tool=$(median_file "$WORK/t$threads.$mode.tool")
            others=$(median_file "$WORK/t$threads.$mode.others")
            runs=$(awk '{printf "%s%.0f", sep, $1; sep = " "}' "$WORK/t$threads.$mode.rates")
            case $mode in
            alone) label="alone (baseline)" ;;
            spytop*) label="spytop ${mode#spytop} Hz" ;;
            perf*) label="perf -g -F ${mode#perf}" ;;
            esac
            sd=- pd=-
            if [ "$mode" != alone ]; then
                sd=$(slowdown "$med" "$base")
                pd=$(paired_slowdown "$WORK/t$threads.alone.rates" "$WORK/t$threads.$mode.rates")
                put "overhead.t$threads.$mode.slowdown_pct" "$sd"
                put "overhead.t$threads.$mode.paired_pct" "$pd"
                sd="$sd%" pd="$pd%"
            fi
            [ "$hz" != - ] && put "overhead.t$threads.$mode.hz" "$hz"
            [ "$tool" != - ] && put "overhead.t$threads.$mode.cpu_pct" "$tool"
            printf '%-17s %10.0f %9s %8s %7s %6s %7s  %s\n' "$label" "$med" "$sd" "$pd" "$hz" \
                "$tool" "$others" "$runs"
        done
        echo "settling window alone, before the rounds (not counted):" \
            "$(awk '{printf "%.0f", $1}' "$WORK/t$threads.settle.rates") units/s"
        spread=$(spread_pct "$WORK/t$threads.alone.rates")
        put "overhead.t$threads.noise_pct" "$spread"
        put "overhead.t$threads.others_pct" "$(median_file "$WORK/t$threads.alone.others")"
        echo "noise: the alone runs spread over ${spread}% of their median"
    done
    echo "(slowdown: 1 - median rate / median alone rate; paired: per round, 1 - rate / that"
    echo " round's alone rate, median over rounds: it cancels drift between rounds better."
    echo " Hz: 'Hz reached' of spytop's last table; tool%: the tool's utime + stime over the"
    echo " window; others%: CPU every other process used meanwhile; both in % of one core."
    echo " perf samples in the kernel, in the target's own context: its cost is charged to the"
    echo " target, not to the perf process, whose tool% only counts draining the buffer)"

    echo
    echo "Goals (on the paired slowdown):"
    for threads in 1 8; do
        limit=1
        [ $threads = 8 ] && limit=2
        sd=$(get "overhead.t$threads.spytop100.paired_pct")
        verdict=$(at_most "$sd" "$limit")
        goal_put "goal.overhead.t$threads.100" "$verdict"
        echo "  $threads thread(s), spytop 100 Hz: slowdown ${sd}% (goal <= ${limit}%): $verdict"
        noise=$(get "overhead.t$threads.noise_pct")
        if awk -v n="$noise" -v l="$limit" 'BEGIN {exit !(n > l)}'; then
            echo "    (unreliable: the alone runs spread over ${noise}%, more than the goal)"
        fi
    done
    for threads in 1 8; do
        sd=$(get "overhead.t$threads.spytop1000.paired_pct")
        if [ $PERF_OK = yes ]; then
            pf=$(get "overhead.t$threads.perf1000.paired_pct")
            # A negative slowdown is noise: perf's cost counts as 0 then.
            limit=$(awk -v p="$pf" 'BEGIN {printf "%.2f", (p > 0 ? 3 * p : 0)}')
            verdict=$(at_most "$sd" "$limit")
            goal_put "goal.overhead.t$threads.1000" "$verdict"
            echo "  $threads thread(s), spytop 1000 Hz: slowdown ${sd}%, perf -F 1000 ${pf}%" \
                "(goal <= 3 x perf = ${limit}%): $verdict"
            noise=$(get "overhead.t$threads.noise_pct")
            if awk -v p="$pf" -v n="$noise" 'BEGIN {exit !(p < n)}'; then
                echo "    (perf's slowdown is below the alone runs' spread, ${noise}%: it is noise here)"
            fi
        else
            echo "  $threads thread(s), spytop 1000 Hz: slowdown ${sd}% (goal <= 3 x perf:" \
                "not measured, perf skipped)"
        fi
    done
}

########################################################################
# Parts 2 and 3: spytop's CPU and resident memory at 100 Hz
########################################################################
part23() {
    echo
    echo "== 2+3. spytop's own CPU and resident memory at 100 Hz, ${RSS_SECONDS} s =="
    start_target "$WORK/mem.target" "$TARGET" 4 25 3600
    pid=$TPID
    frames=$("$SPYTOP" dump -p "$pid" 2>/dev/null | awk '/^Thread / {t++} /^  #/ {f++} END {if (t) printf "%.0f", f / t}')
    check_untraced "$pid" "after the dump"
    echo "target: spin_target, 4 threads, ${frames:-?} frames per thread (spytop dump)"
    out=$WORK/mem.out
    "$SPYTOP" -p "$pid" --batch -r 100 --delay 10 --rows 3 >"$out" 2>&1 &
    TOOL_PID=$!
    sp=$TOOL_PID
    start=$(now_ns)
    printf '%8s %12s %16s\n' "t (s)" "VmRSS kB" "CPU ticks (s/$CLK_TCK)"
    t=0
    : >"$WORK/rss"
    while [ $t -le "$RSS_SECONDS" ]; do
        sleep_until $((start + t * 1000000000))
        rss=$(rss_of "$sp") ticks=$(cpu_ticks_of "$sp") busy=$(machine_busy_ticks)
        tticks=$(cpu_ticks_of "$pid")
        if [ -z "$rss" ]; then
            echo "overhead: spytop exited early: $(tail -n 3 "$out")" >&2
            break
        fi
        printf '%8s %12s %16s\n' "$t" "$rss" "$ticks"
        echo "$t $rss $ticks $busy $tticks" >>"$WORK/rss"
        t=$((t + 10))
    done
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$sp/status" 2>/dev/null)
    # libdw may load its debuginfod client (and curl, TLS, Kerberos, ...)
    # at the first module whose debug file it cannot find: a one-time step.
    debuginfod=no
    grep -q 'libdebuginfod' "/proc/$sp/maps" 2>/dev/null && debuginfod=yes
    header_cpu=$(spytop_cpu_of "$out")
    s=$(last_sampling "$out")
    stop_tool
    check_untraced "$pid" "after spytop's memory run"
    echo "last header: $s"
    last=$(tail -n 1 "$WORK/rss" | awk '{print $1}')
    # CPU in % of one core, from 20 s on (steady state) and from the start.
    cpu=$(awk -v hz="$CLK_TCK" '$1 == 20 {t0 = $3} {t1 = $1; c1 = $3}
        END {if (t1 > 20) printf "%.2f", (c1 - t0) / hz / (t1 - 20) * 100}' "$WORK/rss")
    cpu_all=$(awk -v hz="$CLK_TCK" 'NR == 1 {c0 = $3} {t1 = $1; c1 = $3}
        END {if (t1 > 0) printf "%.2f", (c1 - c0) / hz / t1 * 100}' "$WORK/rss")
    others=$(awk -v hz="$CLK_TCK" '$1 == 20 {t0 = $3; b0 = $4; g0 = $5} {t1 = $1; c1 = $3; b1 = $4; g1 = $5}
        END {if (t1 > 20) printf "%.1f", ((b1 - b0) - (c1 - t0) - (g1 - g0)) / hz / (t1 - 20) * 100}' "$WORK/rss")
    growth=$(awk '$1 == 20 {r0 = $2} {r1 = $2} END {if (r0 > 0) printf "%.1f", (r1 - r0) / r0 * 100}' "$WORK/rss")
    echo "spytop CPU, 20 s to ${last} s: ${cpu:-?}% of a core (0 s to ${last} s, with the" \
        "start-up: ${cpu_all:-?}%; its own header, last 10 s: ${header_cpu:-?}%);" \
        "other processes meanwhile: ${others:-?}% of a core"
    echo "VmRSS growth from 20 s to ${last} s: ${growth:-?}% (peak VmHWM ${hwm:-?} kB)"
    tail20=$(awk -v e="$last" '$1 == e - 20 {r0 = $2} {r1 = $2} END {if (r0 > 0) printf "%.1f", (r1 - r0) / r0 * 100}' "$WORK/rss")
    echo "VmRSS growth over the last 20 s: ${tail20:-?}% (a one-time step vs a steady climb)"
    if [ $debuginfod = yes ]; then
        echo "note: libdebuginfod is mapped into spytop by the end (libdw loads it, with curl,"
        echo "      TLS and Kerberos libraries, at the first module without a local debug file)"
    fi
    if [ "$last" -gt 60 ]; then
        g60=$(awk '$1 == 60 {r0 = $2} {r1 = $2} END {if (r0 > 0) printf "%.1f", (r1 - r0) / r0 * 100}' "$WORK/rss")
        echo "VmRSS growth from 60 s to ${last} s: ${g60:-?}%"
    fi
    cv=$(at_most "$cpu" 3)
    gv=$(at_most "$growth" 10)
    echo "Goal: spytop CPU <= 3% of a core at 100 Hz: $cv"
    echo "Goal: resident memory bounded (growth <= 10% after the first 20 s): $gv"
    put overhead.cpu_pct "$cpu"
    put overhead.cpu_all_pct "$cpu_all"
    put overhead.cpu_header_pct "$header_cpu"
    put overhead.frames "$frames"
    put overhead.rss20_kb "$(awk '$1 == 20 {print $2}' "$WORK/rss")"
    put overhead.rss_end_kb "$(tail -n 1 "$WORK/rss" | awk '{print $2}')"
    put overhead.rss_end_s "$last"
    put overhead.rss_growth_pct "$growth"
    put overhead.rss_tail20_pct "$tail20"
    put overhead.debuginfod_loaded "$([ $debuginfod = yes ] && echo 1 || echo 0)"
    put overhead.rss_series "$(awk '{printf "%s%s", sep, $2; sep = ","}' "$WORK/rss")"
    goal_put goal.overhead.cpu "$cv"
    goal_put goal.overhead.rss "$gv"
    MEM_TARGET=$pid
}

########################################################################
# Part 4: the highest sustained rate
########################################################################
part4() {
    echo
    echo "== 4. Highest sustained rate, 4-thread target on $(nproc) CPUs (reported, not a goal) =="
    pid=$MEM_TARGET
    echo "each rate: spytop --batch --delay 1 --iterations ${RATE_SECONDS}; 'reached', 'skipped', 'errors' (late + failed) cover"
    echo "the tables after the first (the first second holds the start-up); samples/s:"
    echo "thread samples per second (4 threads: up to 4 x the rate)"
    printf '%8s %11s %10s %8s %10s %12s %12s %8s\n' "asked Hz" "reached Hz" "samples/s" \
        "skipped" "errors" "stop med us" "stop p99 us" "spytop%"
    for rate in 200 500 1000 2000 5000; do
        out=$WORK/rate.$rate.out
        "$SPYTOP" -p "$pid" --batch -r "$rate" --delay 1 --iterations "$RATE_SECONDS" --rows 1 >"$out" 2>&1 &
        TOOL_PID=$!
        wait_tool $((RATE_SECONDS + 30)) ||
            echo "overhead: WARNING: spytop --iterations $RATE_SECONDS still runs at $rate Hz" >&2
        stop_tool
        check_untraced "$pid" "after spytop at $rate Hz"
        reached=$(grep '^Sampling:' "$out" | sed 1d |
            sed -n 's/.* \([0-9.]*\) Hz reached.*/\1/p' |
            awk '{s += $1; n++} END {if (n) printf "%.1f", s / n}')
        f=$(grep '^Sampling:' "$out" | head -n 1)
        s=$(last_sampling "$out")
        tables=$(grep -c '^Sampling:' "$out")
        skipped=$(($(skipped_of "$s") - $(skipped_of "$f")))
        errors=$(($(errors_of "$s") - $(errors_of "$f")))
        per_s=$(awk -v a="$(samples_of "$f")" -v b="$(samples_of "$s")" -v n="$tables" \
            'BEGIN {if (n > 1) printf "%.0f", (b - a) / (n - 1); else print "-"}')
        printf '%8s %11s %10s %8s %10s %12s %12s %8s\n' "$rate" "${reached:--}" "$per_s" \
            "$skipped" "$errors" "$(stop_median_of "$s")" "$(stop_p99_of "$s")" \
            "$(spytop_cpu_of "$out")"
        put "overhead.rate.$rate.reached_hz" "$reached"
        put "overhead.rate.$rate.skipped" "$skipped"
        put "overhead.rate.$rate.errors" "$errors"
        put "overhead.rate.$rate.samples_per_s" "$per_s"
    done
}

if [ $LONG = no ]; then
    part1
fi
part23
if [ $LONG = no ]; then
    part4
fi
echo
if [ $UNTRACED_FAILS = 0 ]; then
    echo "every target was untraced (TracerPid: 0) and running after each tool;" \
        "killed by PID at the end"
    put overhead.targets_ok 1
else
    echo "WARNING: $UNTRACED_FAILS checks found a target traced or stopped"
    put overhead.targets_ok 0
fi
exit 0
