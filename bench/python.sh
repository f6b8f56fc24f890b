#!/bin/sh
# Python frames' cost (issue "Python frames"), in two parts, on deep.py
# (50 Python frames deep, pure Python arithmetic at the bottom):
#   1. per CPython found (/usr/bin/python3, pyenv's 3.8 and later, and
#      Debian's 3.13 - 3.15 in the root scripts/pythons.sh makes): the
#      time a thread is stopped per sample, median and p99 from spytop's
#      batch header, with Python frames (the default) against --no-python
#      (native frames only) on the same process, and their ratio;
#   2. the target's slowdown at 100 Hz with Python frames: deep.py's own
#      throughput alone and under spytop, interleaved, medians.
# Prints its own tables; with SUMMARY_FILE, appends "key value" lines to it
# for run.sh's summary. Goals are printed as MET / NOT MET, never fatal.
#
# usage: python.sh BUILD_DIR [SUMMARY_FILE]
# env:   PYBENCH_RATE (500: Hz of the stop-time runs), PYBENCH_TABLES (3:
#        one-second tables per stop-time run; the header's median and p99
#        cover its last 1024 samples), PYBENCH_WINDOW (3), PYBENCH_WARMUP (1),
#        PYBENCH_ROUNDS (3): the slowdown runs, PYBENCH_PYTHON (/usr/bin/python3:
#        the interpreter of the slowdown runs), PYENV_ROOT (/root/.pyenv)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: python.sh BUILD_DIR [SUMMARY_FILE]}
SUMMARY=${2:-/dev/null}
HERE=$(cd "$(dirname "$0")" && pwd)
RATE=${PYBENCH_RATE:-500}
TABLES=${PYBENCH_TABLES:-3}
WINDOW=${PYBENCH_WINDOW:-3}
WARMUP=${PYBENCH_WARMUP:-1}
ROUNDS=${PYBENCH_ROUNDS:-3}
SLOW_PYTHON=${PYBENCH_PYTHON:-/usr/bin/python3}
PYENV=${PYENV_ROOT:-/root/.pyenv}
SPYTOP=$BUILD/spytop
PY_ROOT=${SPYTOP_PYTHONS_ROOT:-/var/cache/spytop/sid-pythons}
DEEP=$HERE/deep.py
DEPTH=50

if [ ! -x "$SPYTOP" ]; then
    echo "python: $SPYTOP is missing; run 'make bench' in the build directory" >&2
    exit 2
fi

NAME=python
. "$HERE/bench_lib.sh"
bench_init

# The CPythons here, one line each: "VERSION SPEC", SPEC a path (pyenv's
# 3.8 and later, /usr/bin/python3) or chroot:python3.X, Debian's own build
# (PGO+LTO, stripped) in the Debian root scripts/pythons.sh makes, run
# through chroot with deep.py copied into it.
for py in /usr/bin/python3 "$PYENV"/versions/*/bin/python3; do
    [ -x "$py" ] || continue
    v=$("$py" -c 'import sys; v = sys.version_info
if v[:2] >= (3, 8): print("%d.%d.%d" % v[:3])' 2>/dev/null)
    [ -n "$v" ] && echo "$v $py"
done >"$WORK/pythons"
IN_ROOT=/tmp/spytop-bench-$$
if [ -f "$PY_ROOT/.spytop-pythons" ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PY_ROOT$IN_ROOT" && cp "$DEEP" "$PY_ROOT$IN_ROOT/"
    trap 'rm -rf "${PY_ROOT:?}$IN_ROOT"; bench_cleanup' EXIT
    for py in python3.13 python3.14 python3.15; do
        v=$(chroot "$PY_ROOT" "/usr/bin/$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
        [ -n "$v" ] && echo "$v chroot:$py"
    done >>"$WORK/pythons"
fi
# run_python SPEC ARGS...: the interpreter of SPEC with deep.py's path for it.
run_python() {
    _spec=$1
    shift
    case $_spec in
    chroot:*) exec chroot "$PY_ROOT" "/usr/bin/${_spec#chroot:}" "$IN_ROOT/deep.py" "$@" ;;
    *) exec "$_spec" "$DEEP" "$@" ;;
    esac
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== 1. Stop time per sample: Python frames (default) vs --no-python, same process =="
echo "deep.py: $DEPTH Python frames; spytop --batch -r $RATE --delay 1 --iterations $TABLES, last table's"
echo "header (median and p99 of the last 1024 samples); the two runs alternate which goes first"
if [ ! -s "$WORK/pythons" ]; then
    echo "no CPython 3.8 or later found: skipped"
fi
printf '%-8s %-36s %9s %9s %9s %9s %7s %7s  %s\n' "CPython" "interpreter" "py med" "py p99" \
    "nat med" "nat p99" "med x" "p99 x" "check"
order=0
while read -r version py; do
    start_target "$WORK/deep.out" run_python "$py" "$DEPTH" 600
    pid=$TPID
    if [ $((order % 2)) = 0 ]; then modes="py native"; else modes="native py"; fi
    order=$((order + 1))
    for mode in $modes; do
        out=$WORK/$version.$mode.out
        flag=""
        [ $mode = native ] && flag=--no-python
        "$SPYTOP" -p "$pid" --batch -r "$RATE" --delay 1 --iterations "$TABLES" --rows 5 $flag </dev/null >"$out" 2>&1 &
        TOOL_PID=$!
        wait_tool $((TABLES + 30)) ||
            echo "python: WARNING: spytop --iterations $TABLES still runs on $py" >&2
        stop_tool
        check_untraced "$pid" "after spytop ($mode) on $py"
    done
    kill_target "$pid"
    pyh=$(last_sampling "$WORK/$version.py.out")
    nah=$(last_sampling "$WORK/$version.native.out")
    pm=$(stop_median_of "$pyh") pp=$(stop_p99_of "$pyh")
    nm=$(stop_median_of "$nah") np=$(stop_p99_of "$nah")
    rm_=$(awk -v a="$pm" -v b="$nm" 'BEGIN {if (a != "" && b > 0) printf "%.2f", a / b}')
    rp=$(awk -v a="$pp" -v b="$np" 'BEGIN {if (a != "" && b > 0) printf "%.2f", a / b}')
    # The tables must show what each mode promises: deep.py's functions with
    # Python frames, none of them without.
    check=ok
    tail -n 8 "$WORK/$version.py.out" | grep -q ' spin  .*deep\.py:[0-9]' ||
        check="no Python frames"
    grep -q ' deep\.py:[0-9]' "$WORK/$version.native.out" &&
        check="$check; --no-python shows Python frames"
    [ -z "$pyh" ] || [ -z "$nah" ] && check="spytop failed: $(head -c 200 "$WORK/$version.py.out")"
    key=$(echo "$version" | cut -d. -f1-2)
    [ "$py" = /usr/bin/python3 ] && key=system
    case $py in chroot:*) key=debian$key ;; esac
    printf '%-8s %-36s %9s %9s %9s %9s %7s %7s  %s\n' "$version" "$py" "${pm:--}" "${pp:--}" \
        "${nm:--}" "${np:--}" "${rm_:--}" "${rp:--}" "$check"
    put "python.$key.version" "$version"
    put "python.$key.py_median_us" "$pm"
    put "python.$key.py_p99_us" "$pp"
    put "python.$key.native_median_us" "$nm"
    put "python.$key.native_p99_us" "$np"
    put "python.$key.ratio_median" "$rm_"
    put "python.$key.ratio_p99" "$rp"
    put "python.$key.ok" "$([ "$check" = ok ] && echo 1 || echo 0)"
    goal_put "goal.python.$key.stop" "$(awk -v r="$rm_" 'BEGIN {print (r != "" && r < 2) ? "MET" : "NOT MET"}')"
    echo "$key" >>"$WORK/keys.list"
done <"$WORK/pythons"
echo "(us; med x and p99 x: with Python frames / native only)"
if [ -s "$WORK/keys.list" ]; then
    put python.keys "$(tr '\n' ',' <"$WORK/keys.list" | sed 's/,$//')"
    met=0 all=0
    while read -r key; do
        all=$((all + 1))
        [ "$(get "goal.python.$key.stop")" = 1 ] && met=$((met + 1))
    done <"$WORK/keys.list"
    verdict="NOT MET"
    [ $met = $all ] && verdict=MET
    echo "Goal: stop time with Python frames < 2 x native only (median), every CPython:" \
        "$verdict ($met of $all)"
    goal_put goal.python.stop "$verdict"
fi

echo
echo "== 2. Target slowdown at 100 Hz with Python frames =="
if ! "$SLOW_PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 8))' 2>/dev/null; then
    echo "$SLOW_PYTHON is not a CPython 3.8 or later: skipped"
    exit 0
fi
echo "$("$SLOW_PYTHON" -V 2>&1) ($SLOW_PYTHON) deep.py; $ROUNDS rounds of: alone, spytop -r 100;"
echo "each run: the tool starts, ${WARMUP} s later a ${WINDOW} s window is measured" \
    "(two SIGUSR1 marks), the tool stops"
start_target "$WORK/slow.out" "$SLOW_PYTHON" "$DEEP" "$DEPTH" 600
pid=$TPID
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for mode in alone spytop; do
        out=$WORK/slow.$mode.$round.out
        if [ $mode = spytop ]; then
            "$SPYTOP" -p "$pid" --batch -r 100 --delay 1 --rows 3 >"$out" 2>&1 &
            TOOL_PID=$!
        fi
        sleep "$WARMUP"
        measure_window "$pid" "$WORK/slow.out" "$WINDOW" "$WORK/slow.$mode"
        stop_tool
        if [ $mode = spytop ]; then
            check_untraced "$pid" "after spytop (round $round)"
            hz_reached "$(last_sampling "$out")" >>"$WORK/slow.$mode.hz"
            stop_median_of "$(last_sampling "$out")" >>"$WORK/slow.$mode.stop"
        fi
    done
    round=$((round + 1))
done
kill_target "$pid"
base=$(median_file "$WORK/slow.alone.rates")
printf '%-18s %10s %9s %8s %6s %8s %6s %7s  %s\n' "mode" "units/s" "slowdown" "paired" "Hz" "stop us" \
    "tool%" "others%" "every run's units/s"
for mode in alone spytop; do
    med=$(median_file "$WORK/slow.$mode.rates")
    runs=$(awk '{printf "%s%.0f", sep, $1; sep = " "}' "$WORK/slow.$mode.rates")
    if [ $mode = alone ]; then
        label="alone (baseline)" sd=- pd=-
    else
        label="spytop 100 Hz" sd=$(slowdown "$med" "$base")
        pd=$(paired_slowdown "$WORK/slow.alone.rates" "$WORK/slow.$mode.rates")
        put python.slowdown_pct "$sd"
        put python.paired_pct "$pd"
        sd="$sd%" pd="$pd%"
    fi
    printf '%-18s %10.0f %9s %8s %6s %8s %6s %7s  %s\n' "$label" "$med" "$sd" "$pd" \
        "$(median_file "$WORK/slow.$mode.hz")" "$(median_file "$WORK/slow.$mode.stop")" \
        "$(median_file "$WORK/slow.$mode.tool")" "$(median_file "$WORK/slow.$mode.others")" "$runs"
done
spread=$(spread_pct "$WORK/slow.alone.rates")
put python.noise_pct "$spread"
echo "noise: the alone runs spread over ${spread}% of their median (columns as in overhead.sh;"
echo "the goal is on the paired slowdown: per round against that round's alone run, median)"
sd=$(get python.paired_pct)
verdict=$(at_most "$sd" 1)
goal_put goal.python.slowdown "$verdict"
echo "Goal: slowdown at 100 Hz with Python frames <= 1%: ${sd}%: $verdict"
if awk -v n="$spread" 'BEGIN {exit !(n > 1)}'; then
    echo "  (unreliable: the alone runs spread over ${spread}%, more than the goal)"
fi

echo
if [ $UNTRACED_FAILS = 0 ]; then
    echo "every target was untraced (TracerPid: 0) and running after each spytop;" \
        "killed by PID at the end"
    put python.targets_ok 1
else
    echo "WARNING: $UNTRACED_FAILS checks found a target traced or stopped"
    put python.targets_ok 0
fi
exit 0
