#!/bin/sh
# dump --tasks' cost (issue 12): a CPython 3.14+ target with 1,000 asyncio
# tasks sleeping, gathered by the main task (tests/targets/pytasks.py
# many 1000, Debian's python3.14 in the root scripts/pythons.sh makes,
# else a python3.14+ on the PATH). In the same run, interleaved, ROUNDS
# times each: `spytop dump --json` and `spytop dump --tasks --json` on the
# same process; medians of the wall time and of how long the event loop's
# thread was held stopped (the dump's own stopped_us), and their ratios.
# Goal: dump --tasks of 1,000 tasks under 200 ms (printed MET / NOT MET,
# never fatal). With SUMMARY_FILE, appends "key value" lines to it.
#
# usage: tasks.sh BUILD_DIR [SUMMARY_FILE]
# env:   TASKBENCH_TASKS (1000), TASKBENCH_ROUNDS (15)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: tasks.sh BUILD_DIR [SUMMARY_FILE]}
SUMMARY=${2:-/dev/null}
HERE=$(cd "$(dirname "$0")" && pwd)
N=${TASKBENCH_TASKS:-1000}
ROUNDS=${TASKBENCH_ROUNDS:-15}
SPYTOP=$BUILD/spytop
PY_ROOT=${SPYTOP_PYTHONS_ROOT:-/var/cache/spytop/sid-pythons}
SRC=$HERE/../tests/targets/pytasks.py

if [ ! -x "$SPYTOP" ]; then
    echo "tasks: $SPYTOP is missing; run 'make' in the build directory" >&2
    exit 2
fi

NAME=tasks
. "$HERE/bench_lib.sh"
bench_init

IN_ROOT=/tmp/spytop-bench-tasks-$$
if [ -f "$PY_ROOT/.spytop-pythons" ] && [ "$(id -u)" = 0 ] && [ -x "$PY_ROOT/usr/bin/python3.14" ]; then
    mkdir -p "$PY_ROOT$IN_ROOT" && cp "$SRC" "$PY_ROOT$IN_ROOT/"
    trap 'rm -rf "${PY_ROOT:?}$IN_ROOT"; bench_cleanup' EXIT
    set -- chroot "$PY_ROOT" /usr/bin/python3.14 "$IN_ROOT/pytasks.py" many "$N"
elif command -v python3.14 >/dev/null; then
    set -- python3.14 "$SRC" many "$N"
else
    echo "tasks: no CPython 3.14 (scripts/pythons.sh makes Debian's): nothing measured"
    exit 0
fi
start_target "$WORK/target.out" "$@"
pid=$TPID

# one KIND: a dump's wall ms and stopped us, appended to $WORK/KIND.
one() {
    _t0=$(now_ns)
    if [ "$1" = tasks ]; then
        "$SPYTOP" dump -p "$pid" --json --tasks >"$WORK/dump.json" 2>"$WORK/dump.err"
    else
        "$SPYTOP" dump -p "$pid" --json >"$WORK/dump.json" 2>"$WORK/dump.err"
    fi
    _st=$?
    _t1=$(now_ns)
    [ "$_st" = 0 ] || echo "tasks: dump ($1) exited $_st: $(head -c 300 "$WORK/dump.err")" >&2
    awk -v a="$_t0" -v b="$_t1" 'BEGIN {printf "%.1f\n", (b - a) / 1e6}' >>"$WORK/$1.ms"
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(max(t["stopped_us"] for t in d["threads"]))
if sys.argv[2] == "tasks":
    n = sum(len(t["asyncio"]["tasks"]) for t in d["threads"] if t["asyncio"])
    open(sys.argv[3], "a").write("%d\n" % n)' "$WORK/dump.json" "$1" "$WORK/count" >>"$WORK/$1.us"
}

one plain # warm-up: page cache, the symbolizer's first reads
one tasks
: >"$WORK/plain.ms"
: >"$WORK/plain.us"
: >"$WORK/tasks.ms"
: >"$WORK/tasks.us"
: >"$WORK/count"
r=0
while [ $r -lt "$ROUNDS" ]; do
    one plain
    one tasks
    r=$((r + 1))
done
check_untraced "$pid" "after the dumps"

plain_ms=$(median_file "$WORK/plain.ms")
tasks_ms=$(median_file "$WORK/tasks.ms")
plain_us=$(median_file "$WORK/plain.us")
tasks_us=$(median_file "$WORK/tasks.us")
count=$(median_file "$WORK/count")
ratio_ms=$(awk -v a="$tasks_ms" -v b="$plain_ms" 'BEGIN {if (b > 0) printf "%.2f", a / b}')
ratio_us=$(awk -v a="$tasks_us" -v b="$plain_us" 'BEGIN {if (b > 0) printf "%.1f", a / b}')
verdict=$(at_most "$tasks_ms" 200)

echo "target: $N tasks asked, $count read per dump (the main task too); $ROUNDS rounds, medians"
printf '%-34s %12s %12s %8s\n' "" "dump" "dump --tasks" "ratio"
printf '%-34s %12s %12s %8s\n' "wall time, ms" "$plain_ms" "$tasks_ms" "${ratio_ms}x"
printf '%-34s %12s %12s %8s\n' "loop thread held stopped, us" "$plain_us" "$tasks_us" "${ratio_us}x"
printf '%-34s %12s\n' "goal: dump --tasks < 200 ms" "$verdict"
put tasks.count "$count"
put tasks.plain_ms "$plain_ms"
put tasks.tasks_ms "$tasks_ms"
put tasks.plain_us "$plain_us"
put tasks.tasks_us "$tasks_us"
goal_put goal.tasks "$verdict"
[ "$UNTRACED_FAILS" = 0 ] && put tasks.targets_ok 1 || put tasks.targets_ok 0
exit 0
