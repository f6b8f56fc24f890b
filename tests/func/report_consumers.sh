#!/bin/sh
# The exports of a recording, read by the programs that users feed them to:
# go tool pprof (the pprof profile), speedscope's own JSON Schema checked by
# ajv (speedscope), the Chrome DevTools performance panel's trace engine
# (Chrome trace events), the Firefox Profiler's own loader, profiler-cli
# (gecko), xml.dom.minidom (the SVG flame graph, whose script node checks
# too), and a flamegraph.pl-style parse of the folded stacks. First the
# reports of the unit test binary test_report (SPYTOP_REPORT_OUT): a
# synthetic recording of known shape, with a hostile function name; then
# a real recording of a CPython target (where ptrace is permitted): its
# executable first in pprof with non-zero addresses and <module> kept, and
# every time axis the recording's length. The unit binary's recording of
# three processes (procs.*): each export shows them apart to its reader,
# and spytop report --pid selects one.
# The npm readers are installed (pinned) into a cache outside the tree
# ($SPYTOP_NPM_DIR, default /var/cache/spytop/npm); without npm they are
# not run and the test ends as skipped (77) after the other checks. Other
# readers that are not installed are skipped with a note.
. "$(dirname "$0")/lib.sh"

bin=$(dirname "$SPYTOP")/tests/unit/test_report
[ -x "$bin" ] || skip "no $bin (built without cmocka)"
out=$WORK/out
mkdir -p "$out"
SPYTOP_REPORT_OUT=$out CMOCKA_MESSAGE_OUTPUT=TAP "$bin" >"$WORK/unit.out" 2>&1 ||
    fail "test_report failed: $(cat "$WORK/unit.out")"
for f in report.txt report.folded report-idle-lines.folded report.speedscope.json \
    report-lines.speedscope.json report.pb.gz report-idle.pb.gz report.svg report-lines.svg \
    report.chrome.json report.gecko.json procs.spytop procs.txt procs.folded procs-pid200.folded \
    procs.speedscope.json procs.pb.gz procs.svg procs.chrome.json procs.gecko.json; do
    [ -s "$out/$f" ] || fail "test_report did not write $f"
done

# --- collapsed: what flamegraph.pl reads: "frame;frame;... count", split
# at the last space, frames at ';'. Every line must parse, none may be
# empty, and the counts add up to the selection (190 samples, 200 with
# idle ones).
for f in report.folded report-idle-lines.folded procs.folded procs-pid200.folded; do
    awk '
        { n = split($0, parts, " "); count = parts[n]
          stack = substr($0, 1, length($0) - length(count) - 1) }
        count !~ /^[0-9]+$/ || stack == "" { print "bad line " NR ": " $0; bad = 1 }
        { nf = split(stack, frames, ";")
          for (i = 1; i <= nf; i++) if (frames[i] == "") { print "empty frame, line " NR; bad = 1 }
          total += count }
        END { print "total " total; exit bad }
    ' "$out/$f" >"$WORK/folded.check" || fail "$f: $(cat "$WORK/folded.check")"
done
awk '{ n = split($0, p, " "); t += p[n] } END { exit t != 190 }' "$out/report.folded" ||
    fail "report.folded: counts do not add up to 190"
awk '{ n = split($0, p, " "); t += p[n] } END { exit t != 200 }' "$out/report-idle-lines.folded" ||
    fail "report-idle-lines.folded: counts do not add up to 200"
note "collapsed: $(wc -l <"$out/report.folded") stacks, e.g. $(head -1 "$out/report.folded")"
# Three processes: a root frame each, its command line kept on one line
# without a ';' of its own; their counts 60, 40 and 20.
awk '{ n = split($0, p, " "); split($0, f, ";"); t[f[1]] += p[n] }
     END { for (r in t) print t[r] " " r }' "$out/procs.folded" | sort -n >"$WORK/roots"
note "collapsed, three processes: $(tr '\n' '|' <"$WORK/roots")"
[ "$(wc -l <"$WORK/roots")" = 3 ] || fail "procs.folded: not 3 roots: $(cat "$WORK/roots")"
assert_grep '^20 PID 300$' "$WORK/roots"
assert_grep '^40 PID 200 worker:1 "q"\\x0a<&> \\xff end$' "$WORK/roots"
assert_grep '^60 PID 100 \./app --serve$' "$WORK/roots"
assert_no_grep '^PID ' "$out/procs-pid200.folded" "--pid 200: a process root"

if command -v python3 >/dev/null; then
    # --- speedscope: json.load, then the shape of the file format schema.
    for f in report.speedscope.json report-lines.speedscope.json procs.speedscope.json; do
        python3 - "$out/$f" >"$WORK/speedscope.check" 2>&1 <<'EOF' ||
import json, sys
with open(sys.argv[1], encoding="utf-8") as fp:
    d = json.load(fp)
assert d["$schema"] == "https://www.speedscope.app/file-format-schema.json"
frames = d["shared"]["frames"]
assert frames and all(isinstance(f["name"], str) and f["name"] for f in frames)
for f in frames:
    assert set(f) <= {"name", "file", "line", "col"}, f
    assert "line" not in f or (isinstance(f["line"], int) and f["line"] > 0)
names = []
for p in d["profiles"]:
    assert p["type"] == "sampled" and p["unit"] == "nanoseconds", p["type"]
    assert isinstance(p["startValue"], int) and isinstance(p["endValue"], int)
    assert len(p["samples"]) == len(p["weights"]) > 0
    assert all(isinstance(w, int) and w > 0 for w in p["weights"])
    assert p["endValue"] - p["startValue"] == sum(p["weights"])
    # An empty sample is time with no stack selected (before the thread's
    # first sample, idle ones left out): speedscope shows nothing there.
    assert any(p["samples"])
    for s in p["samples"]:
        assert all(isinstance(i, int) and 0 <= i < len(frames) for i in s)
    names.append(p["name"])
    # outermost first: every main-thread sample starts at main_fn
    if p["name"].startswith("main ") or p["name"].endswith(": main (100)"):
        assert all(frames[s[0]]["name"].startswith("main_fn") for s in p["samples"] if s)
if sys.argv[1].endswith("procs.speedscope.json"):
    assert names == ["PID 100 ./app --serve: main (100)",
                     "PID 200 worker;1 \"q\"\n<&> \ufffd end: w-main (200)",
                     "PID 300: tid 301"], names
    assert d["name"] == "PID 100 ./app --serve and 2 other processes", d["name"]
else:
    assert names == ["main (100)", "worker (101)"], names
assert 0 <= d.get("activeProfileIndex", 0) < len(d["profiles"])
print("%d frames, profiles %s, %d samples" % (len(frames), names,
      sum(len(p["samples"]) for p in d["profiles"])))
EOF
            fail "$f: $(cat "$WORK/speedscope.check")"
        note "speedscope $f: $(cat "$WORK/speedscope.check")"
    done

    # --- SVG: well-formed XML, every box a title, a rect and a text.
    for f in report.svg report-lines.svg procs.svg; do
        python3 - "$out/$f" "$WORK/script.js" >"$WORK/svg.check" 2>&1 <<'EOF' ||
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
root = doc.documentElement
assert root.tagName == "svg" and root.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
frames = [g for g in doc.getElementsByTagName("g") if g.parentNode.getAttribute("id") == "frames"]
assert frames
width = float(root.getAttribute("width"))
for g in frames:
    rect = g.getElementsByTagName("rect")[0]
    title = g.getElementsByTagName("title")[0].firstChild.data
    x, w = float(rect.getAttribute("x")), float(rect.getAttribute("width"))
    assert 0 <= x and x + w <= width + 0.01, (title, x, w)
    assert "\n" in title and " samples (" in title
if sys.argv[1].endswith("procs.svg"):
    # A box per process right under "all", its command line whole (what
    # XML cannot hold, a line break, invalid UTF-8: U+FFFD).
    roots = sorted(g.getElementsByTagName("title")[0].firstChild.data.split("\n")[0]
                   for g in frames if g.getElementsByTagName("title")[0].firstChild.data
                   .startswith("PID "))
    assert roots == ["PID 100 ./app --serve", "PID 200 worker;1 \"q\"\ufffd<&> \ufffd end",
                     "PID 300"], roots
scripts = doc.getElementsByTagName("script")
assert len(scripts) == 1
with open(sys.argv[2], "w") as fp:
    fp.write("".join(n.data for n in scripts[0].childNodes))
print("%d boxes" % len(frames))
EOF
            fail "$f: $(cat "$WORK/svg.check")"
        note "svg $f: $(cat "$WORK/svg.check")"
        if command -v node >/dev/null; then
            node --check "$WORK/script.js" 2>"$WORK/node.err" ||
                fail "$f: its script does not parse: $(cat "$WORK/node.err")"
        fi
    done
    command -v node >/dev/null || note "node is not installed: the SVG's script was not parsed"
else
    note "python3 is not installed: speedscope and SVG were not parsed"
fi

# --- pprof: Go's own reader. Sample counts per leaf function; the inlined
# leaf folded into its caller's location; the thread labels.
if command -v go >/dev/null; then
    export HOME="$WORK" PPROF_TMPDIR="$WORK"
    go tool pprof -top -sample_index=samples -symbolize=none "$out/report.pb.gz" \
        >"$WORK/pprof.top" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -top: $(cat "$WORK/pprof.err")"
    note "go tool pprof -top:"
    sed 's/^/#   /' "$WORK/pprof.top"
    assert_grep 'Total samples = 190' "$WORK/pprof.top"
    assert_grep '^ +90 +47\.37% .* spin$' "$WORK/pprof.top"
    assert_grep '^ +60 +31\.58% .* leaf_a$' "$WORK/pprof.top"
    assert_grep '^ +30 +15\.79% .* inl_leaf \(inline\)$' "$WORK/pprof.top"
    assert_grep '^ +0 +0% .* 100 52\.63% +worker_main$' "$WORK/pprof.top"
    assert_grep '\?\? \[libfoo\.so\]$' "$WORK/pprof.top"
    go tool pprof -raw -symbolize=none "$out/report.pb.gz" >"$WORK/pprof.raw" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -raw: $(cat "$WORK/pprof.err")"
    assert_grep '^ +60 +600000000: ' "$WORK/pprof.raw"
    assert_grep 'thread:\[worker\]' "$WORK/pprof.raw"
    assert_grep 'tid:\[100\]' "$WORK/pprof.raw"
    # The inlined leaf and its caller: one location, two lines.
    awk '/ inl_leaf /{ getline next_line; if (next_line ~ /^ +phys_b /) found = 1 } END { exit !found }' \
        "$WORK/pprof.raw" || fail "inl_leaf is not inlined into phys_b's location: $(cat "$WORK/pprof.raw")"
    # The executable first (pprof titles the profile by it), every
    # location at a non-zero address.
    assert_grep '^File: app$' "$WORK/pprof.top"
    sed -n '/^Mappings/,$p' "$WORK/pprof.raw" >"$WORK/pprof.mappings"
    sed -n '2p' "$WORK/pprof.mappings" | grep -Eq '^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ /usr/bin/app ' ||
        fail "pprof: the first mapping is not /usr/bin/app: $(cat "$WORK/pprof.mappings")"
    sed -n '/^Locations/,/^Mappings/p' "$WORK/pprof.raw" | grep -E '^ +[0-9]+: 0x' >"$WORK/pprof.locations"
    [ -s "$WORK/pprof.locations" ] || fail "pprof -raw lists no locations: $(cat "$WORK/pprof.raw")"
    assert_no_grep '^ +[0-9]+: 0x0 ' "$WORK/pprof.locations" "pprof: a location at address 0"
    # Idle samples left out: CPU time; kept: wall time.
    go tool pprof -top -symbolize=none "$out/report.pb.gz" >"$WORK/pprof.cpu" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -top: $(cat "$WORK/pprof.err")"
    assert_grep '^Type: cpu$' "$WORK/pprof.cpu"
    go tool pprof -top -symbolize=none "$out/report-idle.pb.gz" >"$WORK/pprof.idle" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -top (idle kept): $(cat "$WORK/pprof.err")"
    assert_grep '^Type: wall$' "$WORK/pprof.idle"
    go tool pprof -top -tagfocus=thread=worker -sample_index=samples -symbolize=none \
        "$out/report.pb.gz" >"$WORK/pprof.worker" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -tagfocus: $(cat "$WORK/pprof.err")"
    assert_grep 'of 190 total|Total samples = 190' "$WORK/pprof.worker"
    assert_grep 'accounting for 100,' "$WORK/pprof.worker"
    # Three processes: the pid label on every sample, each process apart.
    go tool pprof -tags -sample_index=samples -symbolize=none "$out/procs.pb.gz" \
        >"$WORK/procs.tags" 2>"$WORK/pprof.err" || fail "go tool pprof -tags: $(cat "$WORK/pprof.err")"
    note "go tool pprof -tags, three processes:"
    sed 's/^/#   /' "$WORK/procs.tags"
    sed -n '/^ pid: /,/^$/p' "$WORK/procs.tags" >"$WORK/procs.pids"
    assert_grep '^ pid: Total 120(\.0)?$' "$WORK/procs.pids"
    assert_grep '^ +60(\.0)? \(50\.00%\): 100$' "$WORK/procs.pids"
    assert_grep '^ +40(\.0)? \(33\.33%\): 200$' "$WORK/procs.pids"
    assert_grep '^ +20(\.0)? \(16\.67%\): 300$' "$WORK/procs.pids"
    assert_grep '^ +40(\.0)? \(33\.33%\): PID 200 worker;1 "q"\\x0a<&> \\xff end$' \
        "$WORK/procs.tags"
    go tool pprof -top -tagfocus=pid=200 -sample_index=samples -symbolize=none \
        "$out/procs.pb.gz" >"$WORK/procs.200" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -tagfocus=pid=200: $(cat "$WORK/pprof.err")"
    assert_grep 'accounting for 40,' "$WORK/procs.200"
    assert_grep '^ +40 +33\.33% .* spin$' "$WORK/procs.200"
    assert_no_grep 'leaf_a' "$WORK/procs.200" "pprof -tagfocus=pid=200: another process's function"
else
    note "go is not installed (apt-get install golang-go): pprof not checked by its reader"
fi

# --- spytop report --pid on the recording of three processes: one
# process's samples; a PID it does not hold is an error naming those it
# holds (exit 2), with no output written.
"$SPYTOP" report "$out/procs.spytop" --pid 200 -f collapsed >"$WORK/pid200" ||
    fail "report --pid 200 exited $?"
cmp "$WORK/pid200" "$out/procs-pid200.folded" >/dev/null 2>&1 ||
    awk '{ n = split($0, p, " "); t += p[n] } END { exit t != 40 }' "$WORK/pid200" ||
    fail "report --pid 200: $(cat "$WORK/pid200")"
assert_grep '^w-main \(200\);worker_main;spin 40$' "$WORK/pid200"
assert_no_grep 'leaf_a|^PID ' "$WORK/pid200" "report --pid 200: other processes' stacks"
rc=0
"$SPYTOP" report "$out/procs.spytop" --pid 999 -o "$WORK/none.txt" >/dev/null 2>"$WORK/pid999" || rc=$?
[ "$rc" = 2 ] || fail "report --pid 999 exited $rc, not 2"
assert_grep 'holds no process 999: it holds PIDs 100, 200 and 300' "$WORK/pid999"
[ ! -e "$WORK/none.txt" ] || fail "report --pid 999 wrote its output"

# --- the text report, as a person reads it.
assert_grep '^ +47\.4 +47\.4 +0\.90s +0\.90s  spin  +app/worker\.c:12  \[app\]$' "$out/report.txt"
assert_no_grep "$(printf '\033')" "$out/report.txt"

# --- the npm readers, pinned, in a cache outside the tree.
npm_dir=${SPYTOP_NPM_DIR:-/var/cache/spytop/npm}
npm_packages="speedscope@1.25.0 ajv-cli@5.0.0 @paulirish/trace_engine@0.0.65
@firefox-devtools/profiler-cli@0.10.0"
npm_ready=
if command -v npm >/dev/null && command -v node >/dev/null; then
    missing=
    for p in $npm_packages; do
        name=${p%@*}
        version=${p##*@}
        grep -q "\"version\": \"$version\"" "$npm_dir/node_modules/$name/package.json" 2>/dev/null ||
            missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        mkdir -p "$npm_dir" 2>/dev/null
        # shellcheck disable=SC2086
        npm install --prefix "$npm_dir" --no-audit --no-fund --no-save --loglevel=error $missing \
            >"$WORK/npm.log" 2>&1 || note "npm install$missing failed: $(tail -5 "$WORK/npm.log")"
    fi
    [ -f "$npm_dir/node_modules/ajv-cli/package.json" ] &&
        [ -f "$npm_dir/node_modules/@paulirish/trace_engine/package.json" ] &&
        [ -f "$npm_dir/node_modules/@firefox-devtools/profiler-cli/package.json" ] &&
        npm_ready=1
fi
node_modules=$npm_dir/node_modules
schema=$node_modules/speedscope/dist/release/file-format-schema.json

# speedscope FILE: valid by speedscope's own JSON Schema (ajv).
check_speedscope() {
    "$node_modules/.bin/ajv" validate --spec=draft7 -s "$schema" -d "$1" >"$WORK/ajv.out" 2>&1 ||
        fail "speedscope $1 is not valid by speedscope's schema: $(cat "$WORK/ajv.out")"
}

# chrome FILE: what the DevTools trace engine makes of it, one line per
# thread: "tid events roots depth start end name" (microseconds); fails on
# any error or warning the engine prints (unpaired or badly nested events).
cat >"$WORK/chrome.mjs" <<'EOF_JS'
const fs = await import('node:fs');
const Trace = await import(process.argv[2] + '/@paulirish/trace_engine/models/trace/trace.js');
globalThis.DOMRect ??= class { constructor(x = 0, y = 0, w = 0, h = 0) { Object.assign(this, {x, y, width: w, height: h}); } };
const complaints = [];
console.error = console.warn = (...a) => complaints.push(a.join(' '));
const json = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const model = Trace.TraceModel.Model.createWithAllHandlers();
await model.parse(json.traceEvents);
const data = model.parsedTrace().data;
if (!data.Meta.traceIsGeneric) complaints.push('taken for a Chrome browser trace');
for (const [pid, proc] of data.Renderer.processes)
  for (const [tid, t] of proc.threads) {
    let start = Infinity, end = 0;
    for (const root of t.tree.roots) {
      start = Math.min(start, root.entry.ts);
      end = Math.max(end, root.entry.ts + root.entry.dur);
    }
    console.log(...(process.argv[4] === 'pids' ? [pid] : []), tid, t.entries.length, t.tree.roots.size, t.tree.maxDepth, start, end, JSON.stringify(t.name));
  }
if (complaints.length) { process.stdout.write('ERRORS: ' + complaints.join('; ') + '\n'); process.exit(1); }
EOF_JS
check_chrome() {
    node "$WORK/chrome.mjs" "$node_modules" "$1" ${2:-} >"$WORK/chrome.out" 2>&1 ||
        fail "chrome $1: the DevTools trace engine: $(cat "$WORK/chrome.out")"
}

# gecko FILE: loaded by the Firefox Profiler's own loader (profiler-cli):
# its summary into $WORK/gecko.info, the main thread's functions into
# $WORK/gecko.samples (the first thread: the main one). Its daemon runs as a job of this shell (its own
# start waits only 500 ms for it, too little on a busy machine), its
# sessions under $WORK; no symbol server is asked.
pq() {
    PROFILER_CLI_SESSION_DIR=$WORK/pq PROFILER_CLI_NO_SYMBOLICATE=1 \
        node "$node_modules/@firefox-devtools/profiler-cli/dist/profiler-cli.js" "$@"
}
gecko_sessions=0
# start_gecko_daemon FILE: a daemon with FILE loaded, in $session/$daemon;
# 1 when it ended before it answered.
start_gecko_daemon() {
    gecko_sessions=$((gecko_sessions + 1))
    session=s$gecko_sessions
    pq --daemon "$1" --session "$session" >"$WORK/gecko.daemon" 2>&1 &
    daemon=$!
    tries=0
    until pq status --session "$session" >"$WORK/gecko.status" 2>&1; do
        tries=$((tries + 1))
        kill -0 "$daemon" 2>/dev/null && [ $tries -lt 600 ] || return 1
        sleep 0.1
    done
}
check_gecko() {
    mkdir -p "$WORK/pq"
    # Its daemon once ended right after loading a profile (CI, a busy
    # machine), before answering: up to three starts. A file the loader
    # cannot read fails every one, and the load itself is checked below.
    attempt=1
    until start_gecko_daemon "$1"; do
        attempt=$((attempt + 1))
        [ $attempt -le 3 ] ||
            fail "gecko $1: the profiler-cli daemon did not start: $(cat "$WORK/gecko.daemon" \
                "$WORK/gecko.status" "$WORK/pq/$session.log" 2>/dev/null)"
        note "gecko $1: the profiler-cli daemon ended before answering; starting it again"
    done
    pq profile info --session "$session" >"$WORK/gecko.info" 2>&1 ||
        fail "gecko $1: profiler-cli profile info: $(cat "$WORK/gecko.info")"
    pq thread select t-0 --session "$session" >"$WORK/gecko.select" 2>&1 ||
        fail "gecko $1: profiler-cli thread select: $(cat "$WORK/gecko.select")"
    pq thread samples --session "$session" >"$WORK/gecko.samples" 2>&1 ||
        fail "gecko $1: profiler-cli thread samples: $(cat "$WORK/gecko.samples")"
    pq stop "$session" >/dev/null 2>&1 || fail "gecko: profiler-cli stop failed"
    wait_gone "$daemon" 10 "the profiler-cli daemon did not stop"
}

if [ -n "$npm_ready" ]; then
    for f in report.speedscope.json report-lines.speedscope.json; do
        check_speedscope "$out/$f"
    done
    # A broken file must fail: the check can fail.
    sed 's/"line":30/"line":"30"/' "$out/report-lines.speedscope.json" >"$WORK/broken.json"
    if "$node_modules/.bin/ajv" validate --spec=draft7 -s "$schema" -d "$WORK/broken.json" \
        >/dev/null 2>&1; then
        fail "ajv accepted a speedscope file with a string line"
    fi
    note "speedscope: valid by its schema (speedscope $(sed -n 's/^ *"version": "\(.*\)",/\1/p' \
        "$node_modules/speedscope/package.json"))"

    check_chrome "$out/report.chrome.json"
    note "chrome (DevTools trace engine: tid events roots depth start end name):"
    sed 's/^/#   /' "$WORK/chrome.out"
    # main: main_fn the one root, 0.9 s; worker: worker_main, 1 s; 5 frames each.
    assert_grep '^100 5 1 3 0 900000 "main \(100\)"$' "$WORK/chrome.out"
    assert_grep '^101 5 1 2 50 1000050 "worker \(101\)"$' "$WORK/chrome.out"
    # Three processes: each thread under its own pid.
    check_chrome "$out/procs.chrome.json" pids
    note "chrome, three processes (pid tid events roots depth start end name):"
    sed 's/^/#   /' "$WORK/chrome.out"
    assert_grep '^100 100 3 1 3 ' "$WORK/chrome.out"
    assert_grep '^200 200 2 1 2 ' "$WORK/chrome.out"
    assert_grep '^300 301 3 1 3 ' "$WORK/chrome.out"
    [ "$(wc -l <"$WORK/chrome.out")" = 3 ] || fail "chrome: not 3 threads: $(cat "$WORK/chrome.out")"

    check_gecko "$out/report.gecko.json"
    note "gecko (profiler-cli):"
    sed 's/^/#   /' "$WORK/gecko.info" "$WORK/gecko.samples" | head -40
    assert_grep 'This profile contains 2 threads' "$WORK/gecko.info"
    assert_grep 't-0: main \[tid 100\]' "$WORK/gecko.info"
    assert_grep 'app!main_fn - total: 90 \(100\.0%\)' "$WORK/gecko.samples"
    assert_grep 'app!leaf_a - total: 60 \(66\.7%\)' "$WORK/gecko.samples"
    check_gecko "$out/procs.gecko.json"
    note "gecko, three processes (profiler-cli):"
    sed 's/^/#   /' "$WORK/gecko.info" | head -30
    assert_grep 'This profile contains 3 threads across 3 processes' "$WORK/gecko.info"
    assert_grep 'p-0: \./app --serve \[pid 100\]' "$WORK/gecko.info"
    assert_grep '<&> .* end \[pid 200\]' "$WORK/gecko.info"
    assert_grep 't-1: w-main \[tid 200\]' "$WORK/gecko.info"
    assert_grep 'p-2: PID 300 \[pid 300\]' "$WORK/gecko.info"
else
    note "npm or its packages are not available: speedscope, chrome and gecko not read"
fi

# --- a real recording: CPython running pyratio (the main thread always
# busy), recorded for 3 s and exported to every format.
python=
for p in /usr/bin/python3 "${PYENV_ROOT:-/root/.pyenv}"/versions/3.1[0-3]*/bin/python3; do
    [ -x "$p" ] && python=$p && break
done
ptrace_ok=
sleep 30 &
probe=$!
STARTED_PIDS="$STARTED_PIDS $probe"
if "$SPYTOP" dump -p "$probe" >/dev/null 2>"$WORK/probe.err" ||
    ! grep -q "permission denied" "$WORK/probe.err"; then
    ptrace_ok=1
fi
kill "$probe"
if [ -z "$python" ]; then
    note "no CPython here: the real recording was not made"
elif [ -z "$ptrace_ok" ]; then
    note "ptrace is not permitted: the real recording was not made"
else
    start_target pyratio "$python" "$TESTS_SRCDIR/targets/pyratio.py" ratio
    rec=$WORK/py.spytop
    "$SPYTOP" record -p "$TARGET_PID" -d 3 -o "$rec" >"$WORK/record.out" 2>&1 ||
        fail "record exited $?: $(cat "$WORK/record.out")"
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
    exe=$(readlink -f "$python")
    # The recording's length, as the text report says it (0.1 s).
    "$SPYTOP" report "$rec" >"$WORK/py.txt" || fail "report (text) exited $?"
    length=$(sed -n 's/.* samples over \([0-9.]*\) s, .*/\1/p' "$WORK/py.txt")
    [ -n "$length" ] || fail "no length in the text report: $(head -3 "$WORK/py.txt")"
    for f in pprof:py.pb.gz speedscope:py.speedscope.json chrome:py.chrome.json gecko:py.gecko.json; do
        "$SPYTOP" report "$rec" --format "${f%%:*}" -o "$WORK/${f#*:}" ||
            fail "report --format ${f%%:*} exited $?"
    done
    if command -v go >/dev/null; then
        # pprof as it is read by default: symbolization on.
        go tool pprof -top "$WORK/py.pb.gz" >"$WORK/py.top" 2>"$WORK/pprof.err" ||
            fail "go tool pprof -top: $(cat "$WORK/pprof.err")"
        go tool pprof -traces "$WORK/py.pb.gz" >"$WORK/py.traces" 2>"$WORK/pprof.err" ||
            fail "go tool pprof -traces: $(cat "$WORK/pprof.err")"
        go tool pprof -raw "$WORK/py.pb.gz" >"$WORK/py.raw" 2>"$WORK/pprof.err" ||
            fail "go tool pprof -raw: $(cat "$WORK/pprof.err")"
        note "go tool pprof -top, the real recording:"
        sed 's/^/#   /' "$WORK/py.top" | head -16
        assert_grep "^File: $(basename "$exe")\$" "$WORK/py.top" "pprof: not titled by the executable"
        assert_grep '^Type: cpu$' "$WORK/py.top"
        assert_grep ' <module>$' "$WORK/py.top" "pprof -top: <module> lost"
        assert_no_grep '<unknown>' "$WORK/py.top" "pprof -top: a function name lost"
        assert_grep '^ +<module>$' "$WORK/py.traces" "pprof -traces: <module> lost"
        assert_grep ' ratio_hot$' "$WORK/py.traces"
        sed -n '/^Mappings/{n;p;}' "$WORK/py.raw" | grep -q " $exe " ||
            fail "pprof: the first mapping is not $exe: $(sed -n '/^Mappings/,$p' "$WORK/py.raw")"
        sed -n '/^Locations/,/^Mappings/p' "$WORK/py.raw" | grep -E '^ +[0-9]+: 0x' >"$WORK/py.locations"
        [ -s "$WORK/py.locations" ] || fail "pprof -raw lists no locations"
        assert_no_grep '^ +[0-9]+: 0x0 ' "$WORK/py.locations" "pprof: a location at address 0"
    fi
    if [ -n "$npm_ready" ]; then
        check_speedscope "$WORK/py.speedscope.json"
        # The main thread's time axis is the recording's.
        python3 - "$WORK/py.speedscope.json" "$TARGET_PID" >"$WORK/axis" <<'EOF_PY' ||
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
p = [p for p in d["profiles"] if p["name"].endswith("(%s)" % sys.argv[2])][0]
assert p["endValue"] - p["startValue"] == sum(p["weights"])
print("%.3f %.3f" % (p["startValue"] / 1e9, p["endValue"] / 1e9))
EOF_PY
            fail "speedscope: no main thread profile: $(cat "$WORK/axis")"
        note "speedscope: main thread from $(cut -d' ' -f1 "$WORK/axis") s to $(cut -d' ' -f2 "$WORK/axis") s; recording $length s"
        assert_near "$(cut -d' ' -f1 "$WORK/axis")" 0 0.1 "speedscope: the main thread's axis start"
        assert_near "$(cut -d' ' -f2 "$WORK/axis")" "$length" 0.1 "speedscope: the main thread's axis end"

        check_chrome "$WORK/py.chrome.json"
        note "chrome, the real recording: $(grep "^$TARGET_PID " "$WORK/chrome.out")"
        # The main thread ran throughout: one root event, to the end.
        roots=$(awk -v t="$TARGET_PID" '$1 == t { print $3 }' "$WORK/chrome.out")
        [ "$roots" = 1 ] || fail "chrome: the main thread has $roots root events, not 1"
        last=$(awk -v t="$TARGET_PID" '$1 == t { print $6 / 1e6 }' "$WORK/chrome.out")
        assert_near "$last" "$length" 0.1 "chrome: the main thread's last event's end"

        check_gecko "$WORK/py.gecko.json"
        note "gecko, the real recording: $(grep -o 'Full: [0-9.]*s' "$WORK/gecko.info" | head -1)"
        full=$(grep -o 'Full: [0-9.]*s' "$WORK/gecko.info" | head -1 | tr -dc '0-9.')
        assert_near "$full" "$length" 0.1 "gecko: the profile's length"
        assert_grep 'pyratio\.py!ratio_hot - total' "$WORK/gecko.samples"
        assert_grep 'pyratio\.py!<module> - total' "$WORK/gecko.samples"
    fi
fi
[ -n "$npm_ready" ] || skip "npm is not available (apt-get install nodejs npm): speedscope, chrome and gecko files were not read by their readers"
exit 0
