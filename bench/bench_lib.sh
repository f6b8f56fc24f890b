# Shell helpers shared by overhead.sh and python.sh (sourced, not run).
# The sourcing script sets NAME (for messages) and SUMMARY, then calls
# bench_init; every target it starts with start_target is killed by PID at
# the end, after checking that it is untraced (TracerPid: 0) and running.

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
TARGETS=""      # every target started
TOOL_PID=""     # the spytop or perf running now
UNTRACED_FAILS=0

bench_init() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-$NAME.XXXXXX") || exit 2
    : >"$WORK/keys"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Results as "key value" lines in $WORK/keys, appended to SUMMARY at exit.
put() {
    echo "$1 $2" >>"$WORK/keys"
}
get() {
    awk -v k="$1" '$1 == k {v = $2} END {print v}' "$WORK/keys"
}
# goal_put KEY VERDICT: MET -> 1, anything else -> 0.
goal_put() {
    if [ "$2" = MET ]; then put "$1" 1; else put "$1" 0; fi
}

# check_untraced PID WHEN: whether the target is untraced and not stopped;
# warns and counts when not.
check_untraced() {
    _tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$1/status" 2>/dev/null)
    _state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
    if [ "${_tracer:-x}" = 0 ] && [ "$_state" != t ] && [ "$_state" != T ]; then
        return 0
    fi
    echo "$NAME: WARNING: target $1 $2: TracerPid ${_tracer:-?}, state ${_state:-?}" >&2
    UNTRACED_FAILS=$((UNTRACED_FAILS + 1))
    return 1
}

# wait_tool SECONDS: waits that long at most for the tool to exit by itself;
# fails if it still runs.
wait_tool() {
    _n=0
    while [ $_n -lt $(($1 * 100)) ]; do
        # The shell is its parent: a tool that exited is a zombie until
        # reaped, and kill -0 still succeeds on it.
        _st=$(awk '/^State:/ {print $2}' "/proc/$TOOL_PID/status" 2>/dev/null)
        if [ -z "$_st" ] || [ "$_st" = Z ]; then
            return 0
        fi
        sleep 0.01
        _n=$((_n + 1))
    done
    return 1
}

# Stops the tool running now with SIGINT (spytop detaches, perf writes its
# file), by its PID; SIGKILL after 10 s.
stop_tool() {
    if [ -n "$TOOL_PID" ]; then
        kill -INT "$TOOL_PID" 2>/dev/null
        if ! wait_tool 10; then
            echo "$NAME: WARNING: tool $TOOL_PID did not exit 10 s after SIGINT; killing it" >&2
            kill -KILL "$TOOL_PID" 2>/dev/null
        fi
        wait "$TOOL_PID" 2>/dev/null
        TOOL_PID=""
    fi
}

# kill_target PID: checks it, then kills it by its PID.
kill_target() {
    if kill -0 "$1" 2>/dev/null; then
        check_untraced "$1" "${2:-before it is killed}"
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
    fi
}

bench_cleanup() {
    stop_tool
    for _pid in $TARGETS; do
        kill_target "$_pid" "at the end"
    done
    cat "$WORK/keys" >>"$SUMMARY" 2>/dev/null
    rm -rf "$WORK"
}

now_ns() {
    date +%s%N
}

# sleep_until NS: sleeps until that now_ns value.
sleep_until() {
    _s=$(awk -v t="$1" -v n="$(now_ns)" \
        'BEGIN {d = (t - n) / 1e9; if (d > 0) printf "%.3f", d; else print 0}')
    [ "$_s" != 0 ] && sleep "$_s"
}

# start_target OUT COMMAND...: sets TPID once the target printed "ready";
# its output goes to OUT.
start_target() {
    _out=$1
    shift
    "$@" </dev/null >"$_out" 2>"$_out.err" &
    TPID=$!
    TARGETS="$TARGETS $TPID"
    _i=0
    while ! grep -q '^ready' "$_out" 2>/dev/null; do
        _i=$((_i + 1))
        if [ $_i -gt 1000 ] || ! kill -0 "$TPID" 2>/dev/null; then
            echo "$NAME: the target did not get ready: $(head -c 300 "$_out.err")" >&2
            exit 2
        fi
        sleep 0.01
    done
}

# mark PID OUT: asks the target for a mark; prints "NS UNITS" (nothing if
# it does not answer within 5 s).
mark() {
    _before=$(grep -c '^mark' "$2")
    kill -USR1 "$1"
    _i=0
    while [ "$(grep -c '^mark' "$2")" -le "$_before" ]; do
        _i=$((_i + 1))
        if [ $_i -gt 1000 ]; then
            echo "$NAME: WARNING: target $1 did not answer SIGUSR1" >&2
            return
        fi
        sleep 0.005
    done
    grep '^mark' "$2" | tail -n 1 | awk '{print $2, $3}'
}

# utime + stime of a process, in clock ticks.
cpu_ticks_of() {
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}
# The tool's ticks so far (nothing when no tool runs).
tool_ticks() {
    [ -n "$TOOL_PID" ] && cpu_ticks_of "$TOOL_PID"
}
# Busy ticks of the whole machine (all CPUs): user nice system irq softirq
# steal; steal counts, as another guest took that time.
machine_busy_ticks() {
    awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}
# The VmRSS of a process in kB.
rss_of() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# measure_window PID OUT SECONDS PREFIX: one throughput window of a target
# that answers SIGUSR1 with marks. Appends to PREFIX.rates (units/s),
# PREFIX.tool (the tool's CPU, % of a core) and PREFIX.others (CPU used
# by every process but the target and the tool, % of a core: the noise).
measure_window() {
    _pid=$1 _out=$2 _seconds=$3 _prefix=$4
    _c1=$(tool_ticks) _b1=$(machine_busy_ticks) _g1=$(cpu_ticks_of "$_pid")
    _m1=$(mark "$_pid" "$_out")
    sleep "$_seconds"
    _m2=$(mark "$_pid" "$_out")
    _c2=$(tool_ticks) _b2=$(machine_busy_ticks) _g2=$(cpu_ticks_of "$_pid")
    echo "$_m1 $_m2" | awk 'NF == 4 && $3 > $1 {printf "%.1f\n", ($4 - $2) / (($3 - $1) / 1e9)}' \
        >>"$_prefix.rates"
    echo "$_m1 $_m2 ${_c1:-x} ${_c2:-x}" | awk -v hz="$CLK_TCK" \
        'NF == 6 && $5 != "x" {printf "%.2f\n", ($6 - $5) / hz / (($3 - $1) / 1e9) * 100}' \
        >>"$_prefix.tool"
    echo "$_m1 $_m2 $_b1 $_b2 $_g1 $_g2 ${_c1:-0} ${_c2:-0}" | awk -v hz="$CLK_TCK" \
        'NF == 10 {o = ($6 - $5) - ($8 - $7) - ($10 - $9); if (o < 0) o = 0;
                   printf "%.1f\n", o / hz / (($3 - $1) / 1e9) * 100}' >>"$_prefix.others"
}

# Fields of spytop's batch header.
last_sampling() {
    grep '^Sampling:' "$1" | tail -n 1
}
hz_reached() {
    echo "$1" | sed -n 's/.* \([0-9.]*\) Hz reached.*/\1/p'
}
samples_of() {
    echo "$1" | sed -n 's/.* \([0-9]*\) samples,.*/\1/p'
}
skipped_of() {
    echo "$1" | sed -n 's/.* \([0-9]*\) ticks skipped.*/\1/p'
}
# errors_of LINE: thread samples not taken, late (the thread did not stop
# in time) and failed together.
errors_of() {
    echo "$1" | sed -n 's/.* \([0-9]*\) late, \([0-9]*\) errors.*/\1 \2/p' |
        awk '{print $1 + $2}'
}
stop_median_of() {
    echo "$1" | sed -n 's/.*stopped \([0-9.]*\) us per sample.*/\1/p'
}
stop_p99_of() {
    echo "$1" | sed -n 's/.* \([0-9.]*\) us (p99).*/\1/p'
}
spytop_cpu_of() {
    grep '^Threads:' "$1" | tail -n 1 | sed -n 's/.*spytop CPU \([0-9.]*\)%.*/\1/p'
}

median_of() {
    sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print ""}'
}
# median_file FILE: the median of its lines, or "-".
median_file() {
    _m=""
    [ -s "$1" ] && _m=$(median_of <"$1")
    echo "${_m:--}"
}
# spread_pct FILE: (max - min) / median of its lines, in %.
spread_pct() {
    sort -n "$1" | awk '{v[NR] = $1} END {if (NR && v[int((NR + 1) / 2)] > 0)
        printf "%.2f", (v[NR] - v[1]) / v[int((NR + 1) / 2)] * 100}'
}
# slowdown RATE BASE: percent slower than BASE.
slowdown() {
    awk -v r="$1" -v b="$2" 'BEGIN {if (r != "" && r != "-" && b > 0) printf "%.2f", (1 - r / b) * 100; else print ""}'
}
# paired_slowdown BASE_FILE FILE: per round (line), the percent FILE's rate
# is below BASE_FILE's rate of the same round; the median over rounds.
# Pairs cancel drift between rounds better than medians of rates alone.
paired_slowdown() {
    paste "$1" "$2" | awk 'NF == 2 && $1 > 0 {printf "%.2f\n", (1 - $2 / $1) * 100}' | median_of
}
# at_most VALUE LIMIT: MET or NOT MET.
at_most() {
    awk -v v="$1" -v l="$2" 'BEGIN {print (v != "" && v != "-" && v + 0 <= l + 0) ? "MET" : "NOT MET"}'
}
