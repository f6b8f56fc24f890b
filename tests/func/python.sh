#!/bin/sh
# Python targets on every CPython found here (Debian's python3 and the pyenv
# builds): Python frames with names, files and lines in dump, the idle
# thread's blocking call under its Python caller; the shares of a 75/25
# script in the live view, own time included, with no misaligned sample;
# the idle thread left out; a native extension under its Python caller. A
# version that is not installed is skipped, not failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

script=$TESTS_SRCDIR/targets/pyratio.py
line_of() { grep -n "# line: $1\$" "$script" | cut -d: -f1; }
l_hot=$(line_of "ratio_hot body")
l_sleep=$(line_of "idle_wait sleep")
l_unicode=$(line_of "unicode sleep")
l_compress=$(line_of "compress call")

pythons=""
for p in /usr/bin/python3 ${PYENV_ROOT:-/root/.pyenv}/versions/3.*/bin/python3; do
    [ -x "$p" ] || continue
    v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
    case "$v" in
    3.8 | 3.9 | 3.10 | 3.11 | 3.12 | 3.13) py_wanted "$v" && pythons="$pythons $p" ;;
    *) note "skipping $p: not a supported version" ;;
    esac
done
[ -n "$pythons" ] || skip "no CPython 3.8 - 3.13 installed"

for py in $pythons; do
    version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    note "CPython $version: $py"
    start_target "py$version" "$py" "$script" ratio
    pid=$TARGET_PID

    # dump: every thread's Python frames, innermost first, with lines.
    tries=0
    while :; do
        dump "$pid"
        [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] ||
            fail "$version: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
        frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/main"
        grep -q "ratio_hot at .*pyratio.py:$l_hot" "$WORK/main" && break
        tries=$((tries + 1))
        [ $tries -lt 30 ] || fail "$version: main thread never in ratio_hot: $(cat "$WORK/dump.out")"
    done
    assert_grep "^Process $pid: .*\\(3 threads, CPython $version" "$WORK/dump.out"
    grep -o 'ratio_hot\|main at\|<module>' "$WORK/main" | tr '\n' ' ' >"$WORK/order"
    [ "$(cat "$WORK/order")" = "ratio_hot main at <module> " ] ||
        fail "$version: main thread order '$(cat "$WORK/order")': $(cat "$WORK/main")"
    assert_no_grep '_PyEval_EvalFrameDefault' "$WORK/main" "$version: evaluation loop frames left"
    assert_grep "idle_wait at .*pyratio.py:$l_sleep" "$WORK/dump.out"
    # The idle thread's blocking call (libc's, under time.sleep) is shown,
    # right under idle_wait; the interpreter's frames between them are not.
    awk '/^Thread /{t = $0} /idle_wait at/{print t}' "$WORK/dump.out" | head -1 >"$WORK/idle.thread"
    idle_tid=$(awk '{print $2}' "$WORK/idle.thread")
    frames_of_thread "$idle_tid" "$WORK/dump.out" >"$WORK/idle"
    sed -n 1p "$WORK/idle" | grep -q '\[libc\.so' && sed -n 2p "$WORK/idle" | grep -q 'idle_wait at' ||
        fail "$version: the idle thread's blocking call is not right under idle_wait: $(cat "$WORK/idle")"
    # Qualified names from 3.11; non-ASCII names intact (UTF-8).
    case $version in
    3.8 | 3.9 | 3.10) want="wärme" ;;
    *) want="Größe.wärme" ;;
    esac
    assert_grep "\\) +$want at .*pyratio.py:$l_unicode" "$WORK/dump.out"
    assert_grep '\[holds the GIL\]' "$WORK/dump.out"
    assert_untouched "$pid"

    # The live view (--batch): 75/25 within 3 points, in total and in own
    # time (the interpreter's own code, malloc under it included, is the
    # Python functions' time), the two holding >= 90 % of all own time;
    # every sample aligned; idle thread left out.
    live_samples "$pid" 12
    assert_grep "CPython $version[^,]*, GIL held [0-9]+% of ticks, 0 misaligned" "$WORK/live"
    hot=$(total_of ratio_hot "$WORK/live")
    warm=$(total_of ratio_warm "$WORK/live")
    assert_near "$hot" 75 3 "$version: ratio_hot %Total"
    assert_near "$warm" 25 3 "$version: ratio_warm %Total"
    hot=$(pct_of ratio_hot "$WORK/live")
    warm=$(pct_of ratio_warm "$WORK/live")
    assert_near "$hot" 75 3 "$version: ratio_hot %Own"
    assert_near "$warm" 25 3 "$version: ratio_warm %Own"
    awk -v a="$hot" -v b="$warm" 'BEGIN { exit !(a + b >= 90) }' ||
        fail "$version: ratio_hot and ratio_warm hold $hot + $warm % of own time: $(cat "$WORK/live")"
    note "CPython $version: ratio_hot $hot %, ratio_warm $warm % own"
    # (the hot list: the thread table after it names the threads, and
    # 3.10+ names a thread after its target, "Thread-1 (idle_wait)")
    sed '/^ *TID  *Samples  *Active  *Thread$/,$d' "$WORK/live" >"$WORK/live.rows"
    assert_no_grep 'idle_wait' "$WORK/live.rows" "$version: the sleeping thread counted as active"
    assert_untouched "$pid"
    kill "$pid"

    # A native extension under its Python caller.
    start_target "zlib$version" "$py" "$script" zlib
    pid=$TARGET_PID
    tries=0
    while :; do
        dump "$pid"
        frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/main"
        if grep -q 'libz\.so' "$WORK/main"; then
            break
        fi
        tries=$((tries + 1))
        [ $tries -lt 20 ] || fail "$version: never caught inside zlib: $(cat "$WORK/main")"
    done
    z=$(grep -n 'libz\.so' "$WORK/main" | head -1 | cut -d: -f1)
    c=$(grep -n "compress_loop at .*pyratio.py:$l_compress" "$WORK/main" | head -1 | cut -d: -f1)
    [ -n "$c" ] || fail "$version: no compress_loop frame: $(cat "$WORK/main")"
    [ "$z" -lt "$c" ] || fail "$version: zlib is not inside compress_loop: $(cat "$WORK/main")"
    assert_untouched "$pid"
    kill "$pid"
done
exit 0
