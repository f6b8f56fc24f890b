#!/bin/sh
# The exports of a recording, read by the programs that users feed them to:
# go tool pprof (the pprof profile), python's json (speedscope) and
# xml.dom.minidom (the SVG flame graph, whose script node checks too), and
# a flamegraph.pl-style parse of the folded stacks. The recording and the
# reports come from the unit test binary test_report (SPYTOP_REPORT_OUT):
# a synthetic recording of known shape, with a hostile function name.
# Consumers that are not installed are skipped with a note.
. "$(dirname "$0")/lib.sh"

bin=$(dirname "$SPYTOP")/tests/unit/test_report
[ -x "$bin" ] || skip "no $bin (built without cmocka)"
out=$WORK/out
mkdir -p "$out"
SPYTOP_REPORT_OUT=$out CMOCKA_MESSAGE_OUTPUT=TAP "$bin" >"$WORK/unit.out" 2>&1 ||
    fail "test_report failed: $(cat "$WORK/unit.out")"
for f in report.txt report.folded report-idle-lines.folded report.speedscope.json \
    report-lines.speedscope.json report.pb.gz report.svg report-lines.svg; do
    [ -s "$out/$f" ] || fail "test_report did not write $f"
done

# --- collapsed: what flamegraph.pl reads: "frame;frame;... count", split
# at the last space, frames at ';'. Every line must parse, none may be
# empty, and the counts add up to the selection (190 samples, 200 with
# idle ones).
for f in report.folded report-idle-lines.folded; do
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

if command -v python3 >/dev/null; then
    # --- speedscope: json.load, then the shape of the file format schema.
    for f in report.speedscope.json report-lines.speedscope.json; do
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
    for s in p["samples"]:
        assert s and all(isinstance(i, int) and 0 <= i < len(frames) for i in s)
    names.append(p["name"])
    # outermost first: every main-thread sample starts at main_fn
    if p["name"].startswith("main "):
        assert all(frames[s[0]]["name"].startswith("main_fn") for s in p["samples"])
assert names == ["main (100)", "worker (101)"], names
assert 0 <= d.get("activeProfileIndex", 0) < len(d["profiles"])
print("%d frames, profiles %s, %d samples" % (len(frames), names,
      sum(len(p["samples"]) for p in d["profiles"])))
EOF
            fail "$f: $(cat "$WORK/speedscope.check")"
        note "speedscope $f: $(cat "$WORK/speedscope.check")"
    done

    # --- SVG: well-formed XML, every box a title, a rect and a text.
    for f in report.svg report-lines.svg; do
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
    go tool pprof -top -tagfocus=thread=worker -sample_index=samples -symbolize=none \
        "$out/report.pb.gz" >"$WORK/pprof.worker" 2>"$WORK/pprof.err" ||
        fail "go tool pprof -tagfocus: $(cat "$WORK/pprof.err")"
    assert_grep 'of 190 total|Total samples = 190' "$WORK/pprof.worker"
    assert_grep 'accounting for 100,' "$WORK/pprof.worker"
else
    note "go is not installed (apt-get install golang-go): pprof not checked by its reader"
fi

# --- the text report, as a person reads it.
assert_grep '^ +47\.4 +47\.4 +0\.90s +0\.90s  spin  app/worker\.c:12  \[app\]$' "$out/report.txt"
assert_no_grep "$(printf '\033')" "$out/report.txt"
exit 0
