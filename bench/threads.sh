#!/bin/sh
# Threads at scale (issue 11): what sampling a target with many sleeping
# threads costs it and spytop. The target (tests/targets/sleepers) has N
# sleepers blocked five ways (pause, nanosleep, a condition variable, a
# pipe read, epoll_wait) and 2 busy threads. Windows of the same target,
# one after the other:
#   unsampled   no spytop: the sleepers' own context switches (the floor);
#   noreuse     --idle with SPYTOP_SLEEPER_REUSE=0: every thread stopped
#               every tick (the baseline: what --idle, record, and the
#               default view before it, did);
#   idle        --idle: a sleeper stopped once, its stack then reused;
#   record      record -o /dev/null: the same reuse;
#   default     the default view (idle excluded): sleepers left alone.
#   idle-ss, default-ss
#               the same as idle and default with SPYTOP_ONCPU=schedstat:
#               whether a sleeper ran read from its schedstat (a pread per
#               thread per tick), not from its perf watch's page (the
#               baseline of the perf watch; src/oncpu.h).
# For each: wake-ups per sleeper per second (their voluntary+involuntary
# context switches), spytop's CPU (% of one core), the rate reached and
# the threads stopped per tick (--batch's median). Ratios against noreuse
# come from this one run; absolute figures drift with the machine.
#
# usage: threads.sh BUILD_DIR [SLEEPERS...]   (default: 200 2000 py100)
# pyN: a Python pool instead (bench/pypool.py): N threads waiting on a
# queue.Queue, 2 busy in Python code.
# env:   THREADS_WINDOW (5: seconds measured per window), THREADS_RATE (100)
set -u
export LC_ALL=C
unset DEBUGINFOD_URLS

BUILD=${1:?usage: threads.sh BUILD_DIR [SLEEPERS...]}
shift
[ $# -gt 0 ] || set -- 200 2000 py100
WINDOW=${THREADS_WINDOW:-5}
RATE=${THREADS_RATE:-100}
SPYTOP=$BUILD/spytop
SLEEPERS=$BUILD/tests/targets/sleepers
for f in "$SPYTOP" "$SLEEPERS"; do
    [ -x "$f" ] || { echo "threads: $f is missing; run 'make check' (it builds the targets)" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spytop-threads.XXXXXX") || exit 2
target=""
trap '[ -n "$target" ] && kill "$target" 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
hz=$(getconf CLK_TCK)

# switches PID: the context switches of all threads but the busy ones and
# the main thread (named "sleepers"), summed.
switches() {
    grep -H . /proc/"$1"/task/*/comm /proc/"$1"/task/*/status 2>/dev/null | awk '
        { split($0, p, "/"); tid = p[5] }
        /\/comm:/ { sub(/^[^:]*:/, ""); comm[tid] = $0 }
        /ctxt_switches:/ { n[tid] += $NF }
        END { for (t in n) if (comm[t] != "busy" && comm[t] != "sleepers") s += n[t]; print s + 0 }'
}

# cpu_ticks PID: utime + stime of a process.
cpu_ticks() {
    sed 's/.*) //' /proc/"$1"/stat | awk '{ print $12 + $13 }'
}

# window NAME SLEEPERS: one measured window; prints
# "wakeups/sleeper/s cpu% hz stopped/tick" (the last three "-" when
# unknown).
window() {
    local name=$1 n=$2 spy="" out=$WORK/$1.out
    case $name in
    unsampled) ;;
    noreuse)
        SPYTOP_SLEEPER_REUSE=0 "$SPYTOP" -p "$target" --batch -r "$RATE" --delay 1 --window 5 \
            --rows 1 --idle >"$out" 2>&1 &
        spy=$!
        ;;
    idle | default | idle-ss | default-ss)
        # shellcheck disable=SC2046
        SPYTOP_ONCPU=$(case $name in *-ss) echo schedstat ;; *) echo perf ;; esac) \
            "$SPYTOP" -p "$target" --batch -r "$RATE" --delay 1 --window 5 \
            $(case $name in idle*) echo --idle --rows 40 ;; *) echo --rows 1 ;; esac) >"$out" 2>&1 &
        spy=$!
        ;;
    record)
        "$SPYTOP" record -p "$target" -r "$RATE" -o /dev/null >"$out" 2>&1 &
        spy=$!
        ;;
    esac
    [ -n "$spy" ] && sleep 3 # attached, the first tables out: the steady state
    local s0 c0 s1 c1
    s0=$(switches "$target")
    [ -n "$spy" ] && c0=$(cpu_ticks "$spy")
    sleep "$WINDOW"
    s1=$(switches "$target")
    if [ -n "$spy" ]; then
        c1=$(cpu_ticks "$spy")
        kill -INT "$spy"
        wait "$spy"
        local last reached stopped
        last=$(awk '/^spytop /{n++} n' "$out" | tail -n 100)
        reached=$(echo "$last" | sed -n 's/.* \([0-9.]*\) Hz reached.*/\1/p' | tail -n 1)
        stopped=$(echo "$last" | sed -n 's/.* \([0-9]*\) stopped per tick.*/\1/p' | tail -n 1)
        [ "$name" = record ] &&
            reached=$(sed -n 's/.* ticks at \([0-9.]*\) Hz of .*/\1/p' "$out" | tail -n 1)
        echo "$s0 $s1 $c0 $c1" | awk -v n="$n" -v w="$WINDOW" -v hz="$hz" \
            -v reached="${reached:--}" -v stopped="${stopped:--}" \
            '{ printf "%.2f %.1f %s %s\n", ($2 - $1) / n / w, ($4 - $3) * 100 / hz / w, reached, stopped }'
    else
        echo "$s0 $s1" | awk -v n="$n" -v w="$WINDOW" '{ printf "%.2f - - -\n", ($2 - $1) / n / w }'
    fi
}

echo "threads: $(nproc) CPUs, $RATE Hz, ${WINDOW} s windows, commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)"
printf '%-9s %-10s %14s %10s %8s %13s\n' sleepers window "wakeups/s/thr" "spytop CPU" "Hz" "stopped/tick"
for n in "$@"; do
    case $n in
    py*) # a Python pool: pyN, N threads on a queue.Queue, 2 busy in Python
        python3 "$(dirname "$0")/pypool.py" "${n#py}" >"$WORK/target.out" 2>&1 &
        target=$! ;;
    *)
        "$SLEEPERS" -n "$n" -b 2 >"$WORK/target.out" 2>&1 &
        target=$! ;;
    esac
    i=0
    while ! grep -q '^ready' "$WORK/target.out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 3000 ] && { echo "threads: the target did not start" >&2; exit 1; }
        sleep 0.01
    done
    for w in unsampled noreuse idle record default idle-ss default-ss; do
        # shellcheck disable=SC2046
        set -- $(window "$w" "${n#py}")
        printf '%-9s %-10s %14s %9s%% %8s %13s\n' "$n" "$w" "$1" "$2" "$3" "$4"
        eval "r_$(echo "$w" | tr - _)_wake=$1 r_$(echo "$w" | tr - _)_cpu=$2"
    done
    case $n in
    py*) # the sleepers' Python frames under --idle
        grep -q 'pool_worker' "$WORK/idle.out" && shown=yes || shown=no
        echo "$n: the pool's Python frames (pool_worker) shown under --idle: $shown" ;;
    esac
    for w in idle record default; do
        eval "c=\$r_${w}_cpu x=\$r_${w}_wake"
        awk -v a="$c" -v b="$r_noreuse_cpu" -v x="$x" -v y="$r_noreuse_wake" \
            -v u="$r_unsampled_wake" -v n="$n" -v w="$w" 'BEGIN {
            printf "%-9s ratio %s/noreuse: spytop CPU %.2f; wake-ups caused by spytop per sleeper per second: %.2f vs %.2f\n",
                n, w, (b > 0 ? a / b : 0), x - u, y - u }'
    done
    for w in idle default; do
        eval "a=\$r_${w}_cpu b=\$r_${w}_ss_cpu"
        awk -v a="$a" -v b="$b" -v n="$n" -v w="$w" 'BEGIN {
            printf "%-9s ratio %s/%s-ss: spytop CPU %.2f (a sleeper looked at through its perf watch, not its schedstat)\n",
                n, w, w, (b > 0 ? a / b : 0) }'
    done
    kill "$target"
    wait "$target" 2>/dev/null
    target=""
done
