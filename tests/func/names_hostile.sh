#!/bin/sh
# Names that try to steer a terminal: a process and threads named with ESC,
# an OSC that sets the window title, C1 CSI (0x9B raw and as U+009B), a
# bidi override (U+202E), a newline and ") R 1 ("; functions (in the
# executable and in a library) whose symbols hold the same; and the
# executable, its arguments and the library under a directory whose name
# holds them too. In every output -- dump (text and JSON), --batch, the
# live view and the replay in tmux, the reports, error messages -- no raw
# ESC, C1 or bidi control and no newline of a name's reaches the reader;
# the text outputs' escapes undo to the exact bytes; JSON stays valid and
# exact; the recording keeps the raw bytes.
. "$(dirname "$0")/lib.sh"
require_ptrace
command -v python3 >/dev/null || skip "python3 is needed to check the bytes"

# The names of tests/targets/names.h, and checks of what spytop wrote.
cat >"$WORK/check.py" <<'EOF'
import json, re, sys

COMM = b"\x1b]2;pwned\x07\n"
THREAD2 = b") R 1 (\xc2\x9b\x9b2J"
THREAD3 = b"\xe2\x80\xaeevil\x1b[2J"
HOT = b"names_hot\x1b]2;pwned\x07\xc2\x9b\xe2\x80\xae) R 1 ("
WAIT = b"names_wait\x9b1;1H\x1b[2J"
LIB = b"names_lib_hot\x1b]0;pwned\x07\xe2\x80\xae\x9b"
DIR = sys.argv[3].encode("utf-8", "surrogateescape") if len(sys.argv) > 3 else b""
EXE = DIR + b"/names"
LIBPATH = DIR + b"/libnames.so"

UTF8 = re.compile(rb"([\x00-\x7f])|([\xc2-\xdf][\x80-\xbf])|([\xe0-\xef][\x80-\xbf]{2})"
                  rb"|([\xf0-\xf4][\x80-\xbf]{3})|(.)", re.S)

def hazards(data):
    """What a terminal would obey: C0 but newline and tab, DEL, C1 (raw or
    as U+0080..U+009F), bidi controls."""
    found = []
    for m in UTF8.finditer(data):
        b = m.group(0)
        if m.group(1):
            if (b[0] < 0x20 and b not in b"\n\t") or b[0] == 0x7f:
                found.append(b)
        elif m.group(5):
            if 0x80 <= b[0] <= 0x9f:
                found.append(b)
        else:
            cp = ord(b.decode("utf-8", "surrogatepass"))
            if 0x80 <= cp <= 0x9f or 0x202a <= cp <= 0x202e or 0x2066 <= cp <= 0x2069 \
                    or cp in (0x200e, 0x200f, 0x61c):
                found.append(b)
    return found

def unescape(s):
    """Undoes spytop's escapes: \\\\, \\xNN, \\u{NNNN}."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i:i + 2] == b"\\\\":
            out += b"\\"; i += 2
        elif s[i:i + 2] == b"\\x" and re.match(rb"[0-9a-f]{2}", s[i + 2:i + 4]):
            out.append(int(s[i + 2:i + 4], 16)); i += 4
        elif s[i:i + 3] == b"\\u{":
            j = s.index(b"}", i)
            out += chr(int(s[i + 3:j], 16)).encode("utf-8", "surrogatepass"); i = j + 1
        else:
            out.append(s[i]); i += 1
    return bytes(out)

def json_of(b):
    """What a JSON string holding the bytes b decodes to: invalid UTF-8
    bytes become U+FFFD, one each."""
    return b.decode("utf-8", "replace")

# Lines each text output may have; a name's newline would make a line that
# fits none (or, when unescaped, a line that starts with its rest).
SHAPES = {
    "dump": [rb'Process \d+: .* \(\d+ threads?(, .*)?\)', rb'Thread \d+ ".*" [a-z].*',
             rb'  #\d+ +.*', rb'  \.\.\. \(.*\)', rb'  \(.*\)', rb''],
    "batch": [rb'spytop \S+: PID \d+ .*, \d+\.\d s', rb'Threads: .*', rb'Sampling: .*',
              rb'Window: .*', rb'  %Own %Total .*', rb' +\d+\.\d +\d+\.\d +\S+ +\S+  .*',
              rb'\(no samples in the window\)', rb' +TID +Samples +Active +Thread',
              rb' +\d+ +\d+ +\d+\.\d%  .*', rb''],
    "report": [rb'spytop \S+ report: PID \d+ .* on \S+', rb'Recorded .*', rb'Selection: .*',
               rb'Reused: \d+ samples of threads asleep since their last stop, which were not '
               rb'stopped again',
               rb'  %Own %Total .*', rb' +\d+\.\d +\d+\.\d +\S+ +\S+  .*',
               rb' +TID +Samples +Active +Thread', rb' +\d+ +\d+ +\d+\.\d%  .*', rb'\(.*\)', rb''],
    "collapsed": [rb'[^;].* \d+'],
    "error": [rb'spytop: .*'],
}

def check_shapes(kind, data):
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        if not any(re.fullmatch(p, line) for p in SHAPES[kind]):
            sys.exit("line %d has no %s shape: %r" % (n, kind, line))
    if data and not data.endswith(b"\n"):
        sys.exit("no newline at the end")

def need(data, *names):
    text = unescape(data)
    for name in names:
        if name not in text:
            sys.exit("%r not shown exactly (escaped) in %r" % (name, data[:3000]))

mode, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if mode != "json" and mode != "speedscope":
    bad = hazards(data)
    if bad:
        sys.exit("raw %r in %s" % (bad[:5], path))
if mode == "clean":
    pass
elif mode == "screen":
    import os
    lines = data.decode("utf-8").split("\n")[:-1]
    cols, rows = int(os.environ["SCREEN_COLS"]), int(os.environ["SCREEN_ROWS"])
    if len(lines) != rows or any(len(l) > cols for l in lines) or not lines[0].startswith(" spytop "):
        sys.exit("the layout is broken (%d lines, %d columns at most):\n%s"
                 % (len(lines), max(len(l) for l in lines), data.decode()))
elif mode in SHAPES:
    check_shapes(mode, data)
    if mode == "dump":
        need(data, COMM, THREAD2, THREAD3, HOT, WAIT, LIB, EXE)
    elif mode == "batch":
        need(data, HOT, LIB, EXE)
    elif mode == "report":
        need(data, HOT, LIB, EXE, COMM, THREAD2)
    elif mode == "collapsed":
        # ';' separates frames: names carry ':' instead.
        need(data, *(n.replace(b";", b":") for n in (HOT, LIB, COMM, THREAD2)))
elif mode == "json":
    d = json.loads(data)
    assert d["exe"] == json_of(EXE), d["exe"]
    assert d["command"] == json_of(EXE + b" " + LIBPATH), d["command"]
    names = sorted(t["name"] for t in d["threads"])
    assert names == sorted(json_of(n) for n in (COMM, THREAD2, THREAD3)), names
    functions = {f["function"] for t in d["threads"] for f in t["frames"]}
    modules = {f["module"] for t in d["threads"] for f in t["frames"]}
    for name in (HOT, WAIT, LIB):
        assert json_of(name) in functions, (name, functions)
    # /proc/PID/maps shows a newline in a path as \012.
    for path in (EXE, LIBPATH):
        assert json_of(path.replace(b"\n", b"\\012")) in modules, (path, modules)
elif mode == "speedscope":
    d = json.loads(data)
    frames = {f["name"] for f in d["shared"]["frames"]}
    for name in (HOT, LIB):
        assert json_of(name) in frames, (name, frames)
    profiles = {p["name"] for p in d["profiles"]}
    for name in (COMM, THREAD2):
        assert any(p.startswith(json_of(name) + " (") for p in profiles), (name, profiles)
    assert json_of(EXE) in d["name"], d["name"]
else:
    sys.exit("unknown mode " + mode)
EOF
# check MODE FILE: the file passes check.py's MODE.
check() {
    python3 "$WORK/check.py" "$1" "$2" "$dir" >"$WORK/check.out" 2>&1 ||
        fail "$2 ($1): $(cat "$WORK/check.out")"
}

esc=$(printf '\033') bel=$(printf '\007') csi=$(printf '\233') rlo=$(printf '\342\200\256')
nl='
'
dir="$WORK/bin$esc]2;pwned$bel$nl$rlo${csi}x"
mkdir "$dir" || fail "cannot make a directory with a hostile name"
cp "$TARGETS/names" "$TARGETS/libnames.so" "$dir/"
start_target names "$dir/names" "$dir/libnames.so"
pid=$TARGET_PID

# --- dump, text and JSON.
dump "$pid"
# 1 (partial: a stack caught where it cannot be unwound) is as good here:
# what is checked is how the names come out.
case $DUMP_STATUS in 0 | 1) ;; *) fail "dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")" ;; esac
check dump "$WORK/dump.out"
dump "$pid" --json
case $DUMP_STATUS in 0 | 1) ;; *) fail "dump --json exited $DUMP_STATUS: $(cat "$WORK/dump.err")" ;; esac
check json "$WORK/dump.out"
assert_untouched "$pid"

# --- the live view as plain text.
"$SPYTOP" -p "$pid" --batch --iterations 2 --delay 1 >"$WORK/batch" 2>"$WORK/batch.err" ||
    fail "--batch exited $?: $(cat "$WORK/batch.err")"
check batch "$WORK/batch"
assert_untouched "$pid"

# --- the live view in tmux, in a UTF-8 and in the C locale: the window
# title stays, the layout holds, the names show escaped.
# check_screen COLS ROWS: the captured screen is whole and shows no raw byte.
check_screen() {
    SCREEN_COLS=$1 SCREEN_ROWS=$2 check screen "$WORK/screen"
    title=$(tmux -L "$TMUX_SOCKET" display -p '#{pane_title}')
    case "$title" in *pwned*) fail "a name set the window title to '$title'" ;; esac
}
for locale in C.UTF-8 C; do
    rm -f "$WORK/tmux.status"
    tmux_start 160 30 env LC_ALL=$locale "$SPYTOP" -p "$pid"
    tmux_wait_for 'names_hot\\x1b]2;pwned\\x07'
    tmux_wait_for 'names_lib_hot\\x1b]0;pwned\\x07'
    check_screen 160 30
    assert_grep '^ q quit' "$WORK/screen"
    assert_grep '^ %Own\* %Total ' "$WORK/screen"
    tmux_keys t
    tmux_wait_for '\\x1b]2;.*\\x07\\x0a +running'
    assert_grep '\) R 1 \(' "$WORK/screen"
    check_screen 160 30
    tmux_quit "spytop ($locale)"
done
assert_untouched "$pid"

# --- a recording and its reports.
cd "$WORK"
"$SPYTOP" record -p "$pid" -d 2 -o names.spytop 2>record.err || fail "record exited $?: $(cat record.err)"
assert_untouched "$pid"
"$SPYTOP" report names.spytop >report.txt 2>report.err || fail "report exited $?: $(cat report.err)"
check report report.txt
"$SPYTOP" report names.spytop --format collapsed >folded.txt || fail "collapsed exited $?"
check collapsed folded.txt
"$SPYTOP" report names.spytop --format speedscope >speedscope.json || fail "speedscope exited $?"
check speedscope speedscope.json
"$SPYTOP" report names.spytop --format svg >flame.svg || fail "svg exited $?"
check clean flame.svg
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' flame.svg \
    2>svg.err || fail "the SVG is not well-formed XML: $(cat svg.err)"
"$SPYTOP" report names.spytop --format pprof -o names.pb.gz || fail "pprof exited $?"
if command -v go >/dev/null; then
    HOME="$WORK" PPROF_TMPDIR="$WORK" go tool pprof -top -symbolize=none names.pb.gz \
        >pprof.top 2>pprof.err || fail "go tool pprof -top: $(cat pprof.err)"
    check clean pprof.top
    assert_grep 'names_hot\\x1b]2;pwned' pprof.top
else
    note "go is not installed: the pprof profile was not read"
fi

# The replay: same view, same names.
rm -f "$WORK/tmux.status"
tmux_start 160 30 "$SPYTOP" view names.spytop
tmux_wait_for 'names_lib_hot\\x1b]0;pwned\\x07'
check_screen 160 30
tmux_quit view

# --- error messages: hostile file names, a tracer with a hostile name.
# expect_error WHAT: spytop failed, and said so in one clean line that
# names the hostile directory escaped.
expect_error() {
    [ "$status" = 0 ] && fail "$1 succeeded"
    check error err.txt
    assert_grep 'bin\\x1b]2;pwned\\x07\\x0a' err.txt "$1: the file name is not in the message"
}
status=0
"$SPYTOP" record -p "$pid" -d 1 -o "$dir/no/such.spytop" 2>err.txt || status=$?
expect_error "record into a missing directory"
status=0
"$SPYTOP" report "$dir/none.spytop" >/dev/null 2>err.txt || status=$?
expect_error "report of a missing file"
status=0
"$SPYTOP" report names.spytop --format "$dir" >/dev/null 2>err.txt || status=$?
expect_error "report --format"
assert_untouched "$pid"
kill "$pid"

start_target tracer "$TARGETS/names" tracer
tracer=$TARGET_PID
child=$(sed -n 's/^child //p' "$WORK/tracer.out")
[ -n "$child" ] || fail "the tracer target named no child"
for how in dump batch record; do
    status=0
    case $how in
    dump) "$SPYTOP" dump -p "$child" >/dev/null 2>err.txt || status=$? ;;
    batch) "$SPYTOP" -p "$child" --batch --iterations 1 >/dev/null 2>err.txt || status=$? ;;
    record) "$SPYTOP" record -p "$child" -d 1 -o busy.spytop 2>err.txt || status=$? ;;
    esac
    [ "$status" = 2 ] || fail "$how of a traced process exited $status: $(cat err.txt)"
    check error err.txt
    assert_grep "already traced by PID $tracer \\(\\\\x1b]2;pwned\\\\x07\\\\x0a\\)" err.txt
done
kill "$tracer"
exit 0
