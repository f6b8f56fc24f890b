#!/bin/sh
# record -p A,B: one recording of two real processes, kept apart by report
# (text, --pid, every export read by its real reader), by record's direct
# export and by view; both targets untouched afterwards. The first target
# has a hostile command line (a ';', a line break, a byte that is not
# UTF-8), which every format must carry safely.
. "$(dirname "$0")/lib.sh"
require_ptrace

odd=$(printf '75;odd\nline \377')
start_target ratio "$TARGETS/ratio" "$odd"
a=$TARGET_PID
start_target threads "$TARGETS/threads"
b=$TARGET_PID

rec=$WORK/two.spytop
"$SPYTOP" record -p "$a,$b" -d 3 -o "$rec" >"$WORK/record.out" 2>&1 ||
    fail "record -p $a,$b exited $?: $(cat "$WORK/record.out")"
assert_untouched "$a"
assert_untouched "$b"
assert_grep '^spytop: wrote .*/two\.spytop: [0-9.]+ s, [0-9]+ samples of 2 processes, ' \
    "$WORK/record.out"

# --- text: both processes counted and listed, each with its own threads.
"$SPYTOP" report "$rec" >"$WORK/all.txt" || fail "report exited $?"
note "report, two processes: $(sed -n '1p;3p' "$WORK/all.txt" | tr '\n' '|')"
assert_grep "^spytop .* report: PID $a .*ratio 75;odd\\\\x0aline \\\\xff and 1 other process " \
    "$WORK/all.txt"
assert_grep '^Selection: .*, all 2 processes, all threads, ' "$WORK/all.txt"
assert_grep "^ +$a +[0-9]+ +[0-9.]+% +1  .*/ratio 75;odd\\\\x0aline \\\\xff\$" "$WORK/all.txt"
assert_grep "^ +$b +[0-9]+ +[0-9.]+% +[5-9]  .*/threads\$" "$WORK/all.txt"
assert_grep "^ +$a +$a +[0-9]+ " "$WORK/all.txt"
assert_grep "^ +$b +$b +[0-9]+ " "$WORK/all.txt"

# --- --pid: one process's samples and threads only.
"$SPYTOP" report "$rec" --pid "$a" >"$WORK/a.txt" || fail "report --pid $a exited $?"
"$SPYTOP" report "$rec" --pid "$b" >"$WORK/b.txt" || fail "report --pid $b exited $?"
assert_grep "^Selection: .*, process $a, all threads, " "$WORK/a.txt"
assert_grep ' ratio_hot ' "$WORK/a.txt"
assert_no_grep 'worker_|target_burn' "$WORK/a.txt" "report --pid $a: the other process's functions"
assert_grep ' worker_(alpha|beta|gamma|delta) ' "$WORK/b.txt"
assert_no_grep 'ratio_' "$WORK/b.txt" "report --pid $b: the other process's functions"
# The thread tables: one process's tids (the ratio target has one thread).
sed -n '/^ *TID  *Samples/,$p' "$WORK/a.txt" >"$WORK/a.threads"
[ "$(wc -l <"$WORK/a.threads")" = 2 ] || fail "report --pid $a: threads $(cat "$WORK/a.threads")"
assert_grep "^ +$a " "$WORK/a.threads"
sed -n '/^ *TID  *Samples/,$p' "$WORK/b.txt" >"$WORK/b.threads"
assert_no_grep "^ +$a " "$WORK/b.threads" "report --pid $b lists $a's thread"

# A PID the recording does not hold: exit 2, the PIDs it holds named, no
# output written.
rc=0
"$SPYTOP" report "$rec" --pid 1 -o "$WORK/none.txt" 2>"$WORK/pid1.err" || rc=$?
[ "$rc" = 2 ] || fail "report --pid 1 exited $rc, not 2: $(cat "$WORK/pid1.err")"
first=$a second=$b
[ "$a" -lt "$b" ] || { first=$b second=$a; }
assert_grep "holds no process 1: it holds PIDs $first and $second" "$WORK/pid1.err"
[ ! -e "$WORK/none.txt" ] || fail "report --pid 1 wrote its output"

# --- collapsed: a root per process, each root over its own functions.
"$SPYTOP" report "$rec" -f collapsed >"$WORK/two.folded" || fail "report -f collapsed exited $?"
awk -v a="PID $a " -v b="PID $b " '
    { n = split($0, p, " "); t += p[n] }
    index($0, a) == 1 { ra++; if ($0 ~ /worker_|target_burn/) bad = bad "\n" $0 }
    index($0, b) == 1 { rb++; if ($0 ~ /ratio_/) bad = bad "\n" $0 }
    index($0, a) != 1 && index($0, b) != 1 { bad = bad "\nno process root: " $0 }
    END { if (!ra || !rb) bad = bad "\nroots: " ra + 0 " and " rb + 0
          if (bad != "") { print bad; exit 1 } }
' "$WORK/two.folded" >"$WORK/folded.check" || fail "collapsed: $(cat "$WORK/folded.check")"
# The hostile command line on one line, without a ';' of its own.
assert_grep "^PID $a .*/ratio 75:odd\\\\x0aline \\\\xff;ratio \\($a\\);" "$WORK/two.folded"
[ "$(grep -c . "$WORK/two.folded")" = "$(wc -l <"$WORK/two.folded")" ] ||
    fail "collapsed: an empty line"
"$SPYTOP" report "$rec" -f collapsed --pid "$b" >"$WORK/b.folded" || fail "report --pid $b -f collapsed exited $?"
assert_no_grep '^PID ' "$WORK/b.folded" "collapsed --pid $b: a process root"

# record's direct export (export.c, shared with report): the same roots.
"$SPYTOP" record -p "$a,$b" -d 1 -o "$WORK/direct.folded" >"$WORK/direct.out" 2>&1 ||
    fail "record -o direct.folded exited $?: $(cat "$WORK/direct.out")"
assert_grep "^PID $a " "$WORK/direct.folded"
assert_grep '^spytop: wrote .*/direct\.folded \(collapsed\): [0-9.]+ s, [0-9]+ samples of 2 processes$' \
    "$WORK/direct.out"
assert_grep "^PID $b " "$WORK/direct.folded"
assert_untouched "$a"
assert_untouched "$b"

# --- the other exports, read by their readers.
for f in speedscope:two.speedscope.json chrome:two.chrome.json gecko:two.gecko.json svg:two.svg \
    pprof:two.pb.gz; do
    "$SPYTOP" report "$rec" --format "${f%%:*}" -o "$WORK/${f#*:}" ||
        fail "report --format ${f%%:*} exited $?"
done
if command -v xmllint >/dev/null; then
    xmllint --noout "$WORK/two.svg" 2>"$WORK/xmllint.err" ||
        fail "svg: xmllint: $(cat "$WORK/xmllint.err")"
fi
if command -v python3 >/dev/null; then
    python3 - "$WORK" "$a" "$b" >"$WORK/json.check" 2>&1 <<'EOF' ||
import json, sys, xml.dom.minidom
work, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    with open("%s/%s" % (work, name), encoding="utf-8") as fp:
        return json.load(fp)

# speedscope: a profile per thread, each named after its process; the
# hot functions in their own process's profiles only.
d = load("two.speedscope.json")
frames = [f["name"] for f in d["shared"]["frames"]]
seen = set()
for p in d["profiles"]:
    pid = int(p["name"].split(" ")[1].rstrip(":"))
    assert p["name"].startswith("PID %d " % pid), p["name"]
    names = {frames[i] for s in p["samples"] for i in s}
    if pid == a:
        assert not any(n.startswith("worker_") for n in names), (p["name"], names)
        assert "75;odd\nline \ufffd" in p["name"], p["name"]
    else:
        assert pid == b and not any(n.startswith("ratio_") for n in names), (p["name"], names)
    seen.add(pid)
assert seen == {a, b}, seen

# chrome: every event under its real pid, a process_name for each.
d = load("two.chrome.json")
pids = {e["pid"] for e in d["traceEvents"]}
assert pids == {a, b}, pids
named = {e["pid"] for e in d["traceEvents"] if e["name"] == "process_name"}
assert named == {a, b}, named
for e in d["traceEvents"]:
    if e["ph"] == "X" and e["name"].startswith("ratio_"):
        assert e["pid"] == a, e
    if e["ph"] == "X" and e["name"].startswith("worker_"):
        assert e["pid"] == b, e

# gecko: each thread with its process's pid; a main thread per process.
d = load("two.gecko.json")
threads = {(int(t["pid"]), t["tid"]): t for t in d["threads"]}
assert {p for p, _ in threads} == {a, b}, threads.keys()
for (pid, tid), t in threads.items():
    assert t["isMainThread"] == (pid == tid), (pid, tid)
assert threads[(a, a)]["processName"].endswith("75;odd\nline \ufffd"), threads[(a, a)]["processName"]

# svg: a box per process under "all".
doc = xml.dom.minidom.parse("%s/two.svg" % work)
titles = [t.firstChild.data.split("\n")[0] for t in doc.getElementsByTagName("title")]
roots = sorted(int(t.split(" ")[1]) for t in titles if t.startswith("PID "))
assert roots == sorted([a, b]), roots
print("speedscope %d profiles, chrome %d events, gecko %d threads, svg roots %s" % (
    len(load("two.speedscope.json")["profiles"]), len(load("two.chrome.json")["traceEvents"]),
    len(threads), roots))
EOF
        fail "json/svg: $(cat "$WORK/json.check")"
    note "$(cat "$WORK/json.check")"
else
    note "python3 is not installed: the JSON and SVG exports were not read"
fi
if command -v go >/dev/null; then
    export HOME="$WORK" PPROF_TMPDIR="$WORK"
    go tool pprof -tags -sample_index=samples -symbolize=none "$WORK/two.pb.gz" \
        >"$WORK/tags" 2>"$WORK/pprof.err" || fail "go tool pprof -tags: $(cat "$WORK/pprof.err")"
    sed -n '/^ pid: /,/^$/p' "$WORK/tags" >"$WORK/pids"
    note "go tool pprof -tags: $(tr -s ' \n' ' ' <"$WORK/pids")"
    assert_grep "^ +[0-9.]+ \\([0-9.]+%\\): $a\$" "$WORK/pids"
    assert_grep "^ +[0-9.]+ \\([0-9.]+%\\): $b\$" "$WORK/pids"
    go tool pprof -top -tagfocus=pid="$a" -symbolize=none "$WORK/two.pb.gz" >"$WORK/a.top" \
        2>"$WORK/pprof.err" || fail "go tool pprof -tagfocus=pid=$a: $(cat "$WORK/pprof.err")"
    assert_grep ' ratio_hot$' "$WORK/a.top"
    assert_no_grep 'worker_' "$WORK/a.top" "pprof -tagfocus=pid=$a: the other process's functions"
else
    note "go is not installed: pprof not read by its reader"
fi

# --- view: the processes counted; --pid shows one.
if command -v tmux >/dev/null; then
    tmux_start 120 30 "$SPYTOP" view "$rec"
    tmux_wait_for 'Processes: 2  Threads: [0-9]+ in the recording'
    tmux_wait_for 'ratio_hot'
    tmux_quit "view"
    tmux_start 120 30 "$SPYTOP" view "$rec" --pid "$b"
    tmux_wait_for "PID $b"
    tmux_wait_for 'worker_(alpha|beta|gamma|delta)'
    assert_no_grep 'ratio_|Processes: ' "$WORK/screen" "view --pid $b: the other process"
    tmux_quit "view --pid $b"
    # A PID it does not hold: said before the screen starts, exit 2.
    tmux_start 120 30 "$SPYTOP" view "$rec" --pid 1
    tmux_wait_exit
    [ "$TMUX_STATUS" = 2 ] || fail "view --pid 1 exited $TMUX_STATUS, not 2"
    assert_grep "holds no process 1: it holds PIDs $first and $second" "$WORK/tmux.stderr"
    tmux -L "$TMUX_SOCKET" kill-server
    TMUX_STARTED=
else
    note "tmux is not installed: view not checked"
fi

assert_untouched "$a"
assert_untouched "$b"
kill "$a" "$b"

# --- record -s: a multiprocessing.Pool(4) parent whose workers are born
# after the recording started and exit before it ends: five processes,
# each worker with its hot function, let go before the end.
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    note "no $PY: record -s of a multiprocessing pool not checked"
    exit 0
fi
start_target pool "$PY" "$TESTS_SRCDIR/targets/pypool.py" 2
parent=$TARGET_PID
"$SPYTOP" record -p "$parent" -s -d 6 -o "$WORK/pool.spytop" >"$WORK/pool.rec" 2>&1 &
spy=$!
sleep 1
kill -0 "$spy" || fail "record -s ended early: $(cat "$WORK/pool.rec")"
kill -USR1 "$parent"
i=0
until grep -q '^workers' "$WORK/pool.out"; do
    i=$((i + 1))
    [ $i -gt 500 ] && fail "the pool did not start: $(cat "$WORK/pool.err")"
    sleep 0.01
done
workers=$(sed -n 's/^workers //p' "$WORK/pool.out")
STARTED_PIDS="$STARTED_PIDS $workers"
wait "$spy" || fail "record -s exited $?: $(cat "$WORK/pool.rec")"
grep -q '^done' "$WORK/pool.out" || fail "the pool did not finish within the recording"
assert_untouched "$parent"
assert_grep '^spytop: wrote .*/pool\.spytop: [0-9.]+ s, [0-9]+ samples of 5 processes, ' \
    "$WORK/pool.rec"
"$SPYTOP" report "$WORK/pool.spytop" >"$WORK/pool.txt" || fail "report of the pool exited $?"
note "record -s, parent $parent, workers $workers: $(sed -n 3p "$WORK/pool.txt")"
assert_grep '^Selection: .*, all 5 processes, ' "$WORK/pool.txt"
assert_grep "^ +$parent +[0-9]+ +[0-9.]+% +[0-9]+  .*pypool\.py 2\$" "$WORK/pool.txt"
"$SPYTOP" report "$WORK/pool.spytop" -f collapsed >"$WORK/pool.folded" ||
    fail "report -f collapsed of the pool exited $?"
for w in $workers; do
    # Let go when it exited, before the recording's end.
    assert_grep "^ +$w +[0-9]+ +[0-9.]+% +[0-9]+  .*pypool\.py 2 \(until [0-9.]+ s\)\$" \
        "$WORK/pool.txt"
    assert_grep "^PID $w [^;]*;[^;]*;.*;pool_burn " "$WORK/pool.folded"
    "$SPYTOP" report "$WORK/pool.spytop" --pid "$w" >"$WORK/w.txt" || fail "report --pid $w exited $?"
    assert_grep " pool_burn " "$WORK/w.txt"
    assert_no_grep " wait_for_results " "$WORK/w.txt" "report --pid $w: the parent's function"
done
"$SPYTOP" report "$WORK/pool.spytop" --pid "$parent" >"$WORK/parent.txt" -i ||
    fail "report --pid $parent exited $?"
assert_grep " wait_for_results " "$WORK/parent.txt"
assert_no_grep " pool_burn " "$WORK/parent.txt" "report --pid $parent: a worker's function"
assert_untouched "$parent"
exit 0
