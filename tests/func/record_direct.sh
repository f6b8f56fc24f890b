#!/bin/sh
# spytop record writes report's formats directly, as py-spy's record -o
# profile.svg does: the format from -f or from the output's name, each file
# read by its own reader; a bad -o refused before the target is touched;
# the samples kept (and named) when the export cannot be written or the
# recorder is killed.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID
cd "$WORK"
mkdir tmp
export TMPDIR="$WORK/tmp"

# no_scratch NAME: no scratch recording left beside NAME.
no_scratch() {
    for f in "$1".*.spytop; do
        [ -e "$f" ] && fail "a scratch recording was left: $f"
    done
    return 0
}

# wait_scratch NAME: waits (up to 20 s) until the scratch recording beside
# NAME has its header: the recorder is attached and recording.
wait_scratch() {
    local i=0 f
    while :; do
        for f in "$1".*.spytop; do
            [ -s "$f" ] && return 0
        done
        i=$((i + 1))
        [ $i -gt 400 ] && fail "no scratch recording beside $1 after 20 s: $(ls)"
        sleep 0.05
    done
}

# record_ok NAME ARGS...: records 2 s at 200 Hz with ARGS; its end
# summary is the rate line and one line naming NAME (the format in
# $WORK/format), nothing else.
record_ok() {
    local name=$1
    shift
    "$SPYTOP" record -p "$pid" -r 200 -d 2 "$@" >out.txt 2>err.txt ||
        fail "record $*: exited $?: $(cat err.txt)"
    [ -s out.txt ] && fail "record $* wrote to stdout: $(head -c 300 out.txt)"
    [ -s "$name" ] || fail "record $*: $name was not written: $(cat err.txt)"
    assert_grep "^spytop: wrote $name \\([a-z]+\\): [0-9]\\.[0-9] s, [1-9][0-9]* samples\$" err.txt
    sed -n "s/^spytop: wrote .* (\\([a-z]*\\)).*/\\1/p" err.txt >format
    assert_grep '^spytop: [0-9]+ ticks at [0-9.]+ Hz of 200 Hz asked, [0-9]+ skipped' err.txt
    grep -Ev '^spytop: (wrote |[0-9]+ ticks at|warning: the rate reached)' err.txt | grep -q . &&
        fail "record $*: more than the summary: $(cat err.txt)"
    no_scratch "$name"
    assert_untouched "$pid"
}

# --- the format from the name: an SVG, read as XML.
record_ok prof.svg -o prof.svg
assert_grep '^svg$' format
if command -v xmllint >/dev/null; then
    xmllint --noout prof.svg 2>xml.err || fail "xmllint: prof.svg: $(cat xml.err)"
elif command -v python3 >/dev/null; then
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' prof.svg 2>xml.err ||
        fail "prof.svg is not XML: $(cat xml.err)"
else
    note "neither xmllint nor python3: the SVG was not parsed"
fi
assert_grep '<svg ' prof.svg
assert_grep 'ratio_hot' prof.svg

# --- -f wins over the name: folded stacks, the hot function 3:1.
record_ok hot.out -f collapsed -o hot.out
assert_grep '^collapsed$' format
assert_grep '^ratio \([0-9]+\);.*;main;ratio_hot [0-9]+$' hot.out
assert_grep ';main;ratio_warm [0-9]+$' hot.out
hot=$(sed -n 's/.*;ratio_hot \([0-9]*\)$/\1/p' hot.out | awk '{ s += $1 } END { print s + 0 }')
warm=$(sed -n 's/.*;ratio_warm \([0-9]*\)$/\1/p' hot.out | awk '{ s += $1 } END { print s + 0 }')
[ "$hot" -gt $((2 * warm)) ] || fail "ratio_hot $hot samples, ratio_warm $warm: not about 3:1"
# py-spy's name for it, and report's options: a frame per line, whole paths.
record_ok lines.folded -f folded --by-line --full-filenames -o lines.folded
assert_grep ";ratio_hot \\(/[^ ]*/targets/ratio\\.c:[0-9]+\\) [0-9]+\$" lines.folded

# --- speedscope JSON, by its shape.
record_ok prof.speedscope.json -o prof.speedscope.json
assert_grep '^speedscope$' format
if command -v python3 >/dev/null; then
    python3 - prof.speedscope.json <<'PY' || fail "prof.speedscope.json: not speedscope's shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert "speedscope" in d["$schema"], d["$schema"]
frames = [f["name"] for f in d["shared"]["frames"]]
assert "ratio_hot" in frames, frames
assert d["profiles"], "no profile"
for p in d["profiles"]:
    assert p["type"] == "sampled", p["type"]
    assert len(p["samples"]) == len(p["weights"]) > 0
    assert all(0 <= i < len(frames) for s in p["samples"] for i in s)
PY
else
    note "python3 is not installed: the speedscope file was not parsed"
fi

# --- pprof, read by Go's own reader.
record_ok prof.pb.gz -o prof.pb.gz
assert_grep '^pprof$' format
if command -v go >/dev/null; then
    HOME="$WORK" PPROF_TMPDIR="$WORK" go tool pprof -top -symbolize=none prof.pb.gz \
        >pprof.top 2>pprof.err || fail "go tool pprof -top: $(cat pprof.err)"
    assert_grep ' ratio_hot$' pprof.top
else
    note "go is not installed: the pprof profile was not read"
fi

# --- text, and chrome and gecko by -f; the default name says the format.
record_ok hot.txt -o hot.txt
assert_grep '^text$' format
assert_grep "PID $pid" hot.txt
assert_grep 'ratio_hot' hot.txt
mkdir def
(cd def && "$SPYTOP" record -p "$pid" -d 1 -f chrome 2>../err.txt) || fail "record -f chrome: $(cat err.txt)"
set -- def/spytop-"$pid"-*.chrome.json
[ -s "$1" ] || fail "record -f chrome without -o wrote no spytop-PID-*.chrome.json: $(ls def)"
[ "$(ls def | wc -l)" = 1 ] || fail "more than the export in def/: $(ls def)"
assert_grep "^spytop: wrote spytop-$pid-[0-9]{8}-[0-9]{6}\\.chrome\\.json \\(chrome\\)" err.txt
"$SPYTOP" record -p "$pid" -d 1 -f gecko -o /dev/null 2>err.txt || fail "record -o /dev/null: $(cat err.txt)"
[ -z "$(ls tmp)" ] || fail "a scratch recording was left in TMPDIR: $(ls tmp)"
# -o - with a format: standard output, for a pipe.
"$SPYTOP" record -p "$pid" -r 200 -d 2 -f collapsed -o - >stdout.folded 2>err.txt ||
    fail "record -o -: $(cat err.txt)"
assert_grep ';main;ratio_hot [0-9]+$' stdout.folded "record -o -: no ratio_hot ($(cat err.txt))"
assert_grep '^spytop: wrote standard output \(collapsed\)' err.txt
[ -e ./- ] && fail "record -f collapsed -o - wrote a file named '-'"
# A reader that goes away: said nothing, status 1, nothing left behind.
{
    "$SPYTOP" record -p "$pid" -d 1 -f svg -o - 2>err.txt
    echo $? >status
} | true
[ "$(cat status)" = 1 ] || fail "record -o - | true: status $(cat status): $(cat err.txt)"
assert_no_grep 'kept|failed|wrote' err.txt "record -o - | true: a message"
[ -z "$(ls tmp)" ] || fail "a scratch recording was left in TMPDIR: $(ls tmp)"
[ -c /dev/null ] || fail "/dev/null is no longer the null device"
assert_untouched "$pid"

# --- usage: a bare .json and an unknown -f name the choices.
status=0
"$SPYTOP" record -p "$pid" -d 1 -f bogus -o x.svg 2>err.txt || status=$?
[ "$status" = 64 ] || fail "record -f bogus: status $status"
assert_grep "^spytop: unknown --format 'bogus': expected spytop .*text, collapsed .*speedscope, pprof, svg .*chrome .*gecko" err.txt
status=0
"$SPYTOP" record -p "$pid" -d 1 -o x.json 2>err.txt || status=$?
[ "$status" = 64 ] || fail "record -o x.json: status $status"
assert_grep "^spytop: 'x\\.json': .*-f speedscope, chrome or gecko" err.txt
status=0
"$SPYTOP" record -p "$pid" -d 1 -o x.spytop --full-filenames 2>err.txt || status=$?
[ "$status" = 64 ] || fail "record --full-filenames to a recording: status $status"
[ -e x.svg ] || [ -e x.json ] || [ -e x.spytop ] && fail "a usage error wrote a file"

# --- a bad -o fails before the target is touched: the command to launch
# never runs, a target given by -p is never stopped.
echo keep >exists.svg
ln -s exists.svg link.svg
mkdir adir.svg
for place in exists.svg link.svg adir.svg nodir/x.svg "/proc/$pid/x.svg" /sys/x.svg /dev/x.svg; do
    status=0
    "$SPYTOP" record -o "$place" -- sh -c ': >ran' 2>err.txt || status=$?
    [ "$status" = 2 ] || fail "record -o $place -- COMMAND: status $status: $(cat err.txt)"
    [ -e ran ] && fail "record -o $place launched the command before refusing the output"
    [ "$(wc -l <err.txt)" = 1 ] || fail "record -o $place: more than one line: $(cat err.txt)"
    case $place in
    exists.svg) assert_grep "^spytop: 'exists\\.svg' already exists \\(--force overwrites it\\)\$" err.txt ;;
    link.svg) assert_grep "^spytop: 'link\\.svg' is a symbolic link: not followed\$" err.txt ;;
    adir.svg) assert_grep "^spytop: 'adir\\.svg' is a directory: name a file in it\$" err.txt ;;
    nodir/*) assert_grep "^spytop: cannot create 'nodir/x\\.svg': No such file or directory\$" err.txt ;;
    *) assert_grep "^spytop: '$place' is under /(proc|sys|dev): spytop writes only regular files" err.txt ;;
    esac
    status=0
    "$SPYTOP" record -p "$pid" -o "$place" 2>err.txt || status=$?
    [ "$status" = 2 ] || fail "record -p -o $place: status $status: $(cat err.txt)"
    assert_untouched "$pid"
done
[ "$(cat exists.svg)" = keep ] || fail "the refused output was changed"
[ -z "$(ls adir.svg)" ] || fail "something was written into adir.svg: $(ls adir.svg)"
ls ./*.spytop 2>/dev/null | grep -q . && fail "a scratch recording was left: $(ls ./*.spytop)"
# --force overwrites a regular file, not a link.
record_ok exists.svg -o exists.svg --force
assert_grep 'ratio_hot' exists.svg

# --- the export cannot be written (the name was taken meanwhile): said,
# the other file left alone, the samples kept and named.
"$SPYTOP" record -p "$pid" -d 3 -o late.svg 2>err.txt &
spy=$!
wait_scratch late.svg
echo theirs >late.svg
status=0
wait "$spy" || status=$?
[ "$status" = 2 ] || fail "record whose output was taken meanwhile: status $status: $(cat err.txt)"
assert_grep "^spytop: 'late\\.svg' already exists" err.txt
assert_grep '^spytop: the samples are kept in late\.svg\.[A-Za-z0-9]{6}\.spytop: spytop report late\.svg\.[A-Za-z0-9]{6}\.spytop --format svg -o late\.svg$' err.txt
[ "$(cat late.svg)" = theirs ] || fail "the file that took the output's name was changed"
kept=$(sed -n 's/^spytop: the samples are kept in \(late\.svg\.[A-Za-z0-9]*\.spytop\):.*/\1/p' err.txt)
"$SPYTOP" report "$kept" --format svg -o again.svg 2>err.txt || fail "report of the kept samples: $(cat err.txt)"
assert_grep 'ratio_hot' again.svg
assert_untouched "$pid"

# --- Ctrl-C ends the recording and the export is written; SIGKILL leaves
# the scratch recording beside the output, readable.
"$SPYTOP" record -p "$pid" -o int.svg 2>err.txt &
spy=$!
wait_scratch int.svg
sleep 1
kill -INT "$spy"
wait "$spy" || fail "record -o int.svg exited $? on SIGINT: $(cat err.txt)"
assert_grep '^spytop: wrote int\.svg \(svg\)' err.txt
assert_grep 'ratio_hot' int.svg
no_scratch int.svg
"$SPYTOP" record -p "$pid" -o killed.svg 2>/dev/null &
spy=$!
wait_scratch killed.svg
sleep 2.5
kill -KILL "$spy"
wait "$spy" 2>/dev/null
sleep 0.2
assert_untouched "$pid"
[ -e killed.svg ] && fail "a killed recorder wrote its export"
set -- killed.svg.*.spytop
[ -s "$1" ] || fail "a killed recorder left no scratch recording: $(ls)"
status=0
"$SPYTOP" report "$1" >killed.txt 2>killed.err || status=$?
[ "$status" = 1 ] || fail "report of the killed recorder's samples: status $status: $(cat killed.err)"
assert_grep 'ratio_hot' killed.txt

# --- -- COMMAND: its exit status, its export.
status=0
"$SPYTOP" record -o cmd.folded -- sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exit 3' \
    2>err.txt || status=$?
[ "$status" = 3 ] || fail "record -o cmd.folded -- COMMAND: status $status, expected the command's 3: $(cat err.txt)"
assert_grep '^spytop: wrote cmd\.folded \(collapsed\)' err.txt
assert_grep '^sh \([0-9]+\);' cmd.folded
no_scratch cmd.folded
assert_untouched "$pid"
exit 0
