#!/bin/sh
# dump --locals on every CPython here (pyenv's 3.8 - 3.13, Debian's 3.13 -
# 3.15 in the root scripts/pythons.sh makes): the locals of a frame with
# known and hostile values (tests/targets/pylocals.py) show under that
# frame, in text and JSON: ints (a big one by its size), a float, strs (a
# 10 MB one cut, a non-ASCII one whole, a subclass by its type name),
# bytes, containers by type and length (a list that contains itself too),
# None/True/False, a captured (cell) local, a deleted and an unassigned
# local as unbound; the caller's locals under the caller. dump exits 0 and
# leaves the target untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

specs="$(py_host_specs) $(py_distro_specs)"
[ -n "$(echo $specs)" ] || skip "no CPython 3.8 or later on this machine"
src=$TESTS_SRCDIR/targets/pylocals.py

# locals_of FUNCTION FILE: the local lines under FUNCTION's frame line.
locals_of() {
    awk -v f="\\\\(Python\\\\) +$1 at " '
        /^  #/ { on = ($0 ~ f); next }
        /^Thread / { on = 0 }
        on && /^         / { sub(/^         /, ""); print }' "$2"
}

# expect LINE: LINE is one of hold_locals' local lines.
expect() {
    grep -qxF -- "$1" "$WORK/hold" || fail "$version: no local line '$1' under hold_locals: $(cat "$WORK/hold")"
}

for spec in $specs; do
    version=$(py_version "$spec")
    script=$(py_script "$spec" "$src")
    note "CPython $version: $spec"
    start_target "locals$version" py_exec "$spec" "$script"
    pid=$TARGET_PID
    bits=$(py_exec "$spec" -c 'print((7 ** 300).bit_length())')

    dump "$pid" --locals
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --locals exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_untouched "$pid"
    locals_of hold_locals "$WORK/dump.out" >"$WORK/hold"
    locals_of outer_frame "$WORK/dump.out" >"$WORK/outer"
    expect "marker = 1234567"
    expect "captured = 'in a cell'"
    expect "small = 42"
    expect "negative = -7"
    expect "big = <int of $bits bits>"
    expect "ratio = 2.5"
    expect "text = 'hello locals'"
    expect "huge = '$(printf '%080d' 0 | tr 0 x)'... (str of 10485760 characters)"
    expect "accents = 'héllo wörld 世界 😀'"
    expect "tagged = <Tagged object>"
    expect "raw = b'ab\\x00\\xffcd'"
    expect "loop = <list of 3 items>"
    expect "pair = <tuple of 2 items>"
    expect "mapping = <dict of 3 items>"
    expect "bag = <set of 4 items>"
    expect "nothing = None"
    expect "yes = True"
    expect "no = False"
    expect "thing = <Thing object>"
    expect "reader = <function object>"
    expect "gone = <unbound>"
    expect "later = <unbound>"
    [ "$(wc -l <"$WORK/hold")" = 22 ] || fail "$version: not 22 locals under hold_locals: $(cat "$WORK/hold")"
    [ "$(cat "$WORK/outer")" = "outer_count = 1234567
outer_name = 'outer'" ] || fail "$version: outer_frame's locals: $(cat "$WORK/outer")"
    # No local of the module's frame, none without --locals.
    [ -z "$(locals_of '<module>' "$WORK/dump.out")" ] || fail "$version: <module> shows locals"
    dump "$pid"
    [ -z "$(locals_of hold_locals "$WORK/dump.out")" ] || fail "$version: locals without --locals"

    dump "$pid" --locals --json
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --locals --json exited $DUMP_STATUS"
    assert_untouched "$pid"
    python3 - "$WORK/dump.out" "$bits" <<'PYEOF' || fail "$version: JSON locals: $(head -c 4000 "$WORK/dump.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["locals_problem"] is None, d["locals_problem"]
frames = [f for t in d["threads"] for f in t["frames"] if f["kind"] == "python"]
by_fn = {f["function"]: f for f in frames}
assert "locals" not in by_fn["<module>"] or by_fn["<module>"]["locals"] == [], by_fn["<module>"]
hold = {v["name"]: v for v in by_fn["hold_locals"]["locals"]}
assert len(hold) == 22, sorted(hold)
def check(name, kind, typ, value, length=None, cut=False):
    v = hold[name]
    got = (v["kind"], v["type"], v["value"], v["length"], v["cut"])
    want = (kind, typ, value, length, cut)
    assert got == want, (name, got, want)
check("small", "int", "int", "42")
check("negative", "int", "int", "-7")
assert hold["big"]["kind"] == "big_int" and hold["big"]["bits"] == int(sys.argv[2]), hold["big"]
check("ratio", "float", "float", "2.5")
check("text", "str", "str", "hello locals", 12)
check("huge", "str", "str", "x" * 80, 10 * 1024 * 1024, True)
check("accents", "str", "str", "h\u00e9llo w\u00f6rld \u4e16\u754c \U0001f600", 16)
check("tagged", "other", "Tagged", None)
check("raw", "bytes", "bytes", "ab\\x00\\xffcd", 6)
check("loop", "container", "list", None, 3)
check("pair", "container", "tuple", None, 2)
check("mapping", "container", "dict", None, 3)
check("bag", "container", "set", None, 4)
check("nothing", "none", "NoneType", "None")
check("yes", "bool", "bool", "True")
check("no", "bool", "bool", "False")
check("thing", "other", "Thing", None)
check("captured", "str", "str", "in a cell", 9)
check("gone", "unbound", None, None)
check("later", "unbound", None, None)
outer = [(v["name"], v["value"]) for v in by_fn["outer_frame"]["locals"]]
assert outer == [("outer_count", "1234567"), ("outer_name", "outer")], outer
PYEOF
    kill "$pid"
done

# A 1000-deep stack: the innermost 128 frames' locals are read, the
# deeper ones say they were not; the target untouched.
spec=$(echo $specs | cut -d' ' -f1)
version=$(py_version "$spec")
start_target "shapes$version" py_exec "$spec" "$(py_script "$spec" "$TESTS_SRCDIR/targets/pyshapes.py")"
pid=$TARGET_PID
dump "$pid" --locals
[ "$DUMP_STATUS" = 0 ] || fail "$version: dump --locals of pyshapes exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
assert_untouched "$pid"
counts=$(awk '/^Thread / { if (deep) exit; py = 0; skipped = 0; read = 0 }
    /\(Python\) +recurse at / { deep = 1 }
    /^  #.*\(Python\)/ { py++ }
    /^         \(locals not read: deeper than 128 frames\)$/ { skipped++ }
    /^         depth = / { read++ }
    END { print py, read, skipped }' "$WORK/dump.out")
set -- $counts
[ "$1" -gt 1000 ] && [ "$2" = 127 ] && [ "$3" = $(($1 - 128)) ] ||
    fail "$version: deep stack: $1 Python frames, $2 with depth read, $3 not read (want >1000, 127, all but 128)"
kill "$pid"

# --locals belongs to dump, and to Python frames.
"$SPYTOP" -p 1 --locals >"$WORK/err.out" 2>&1 && fail "--locals accepted without dump"
assert_grep "\\-\\-locals goes with 'spytop dump'" "$WORK/err.out"
"$SPYTOP" dump -p 1 --locals --no-python >"$WORK/err.out" 2>&1 && fail "--locals accepted with --no-python"
assert_grep "\\-\\-locals and \\-\\-no-python do not go together" "$WORK/err.out"
exit 0
