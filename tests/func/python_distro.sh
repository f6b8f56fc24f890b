#!/bin/sh
# Debian's own CPython 3.13, 3.14 and 3.15, as production hosts run them:
# built with PGO and LTO, stripped to .dynsym, most of the evaluation loop
# in a piece split off _PyEval_EvalFrameDefault with no symbol. Run in the
# Debian root scripts/pythons.sh makes, through chroot (spytop reads the
# interpreter through /proc/PID/root). For each: dump shows the script's
# functions with file:line, innermost first, merged above the native
# frames that started the interpreter (not hung below them); the live
# view (--batch) gives the 75/25 script's shares with no misaligned
# sample; a native extension shows under its Python caller; the target is
# left untouched. Skipped when the root is not there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

specs=$(py_distro_specs)
[ -n "$specs" ] || skip "no Debian root with Debian's CPythons at $PY_ROOT (scripts/pythons.sh makes it; root only)"

src=$TESTS_SRCDIR/targets/pyratio.py
line_of() { grep -n "# line: $1\$" "$src" | cut -d: -f1; }
l_hot=$(line_of "ratio_hot body")
l_sleep=$(line_of "idle_wait sleep")
l_unicode=$(line_of "unicode sleep")
l_compress=$(line_of "compress call")
l_main=$(grep -n '^        ratio_hot(start' "$src" | cut -d: -f1)
l_module=$(grep -n '^main()$' "$src" | cut -d: -f1)

for spec in $specs; do
    version=$(py_version "$spec")
    script=$(py_script "$spec" "$src")
    note "Debian's CPython $version: $spec in $PY_ROOT"
    start_target "py$version" py_exec "$spec" "$script" ratio
    pid=$TARGET_PID

    # dump: the main thread's Python frames with lines, merged in place.
    tries=0
    while :; do
        dump "$pid"
        [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] ||
            fail "$version: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
        frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/main"
        grep -q "ratio_hot at $script:$l_hot\$" "$WORK/main" && break
        tries=$((tries + 1))
        [ $tries -lt 30 ] || fail "$version: main thread never in ratio_hot: $(cat "$WORK/dump.out")"
    done
    assert_grep "^Process $pid: .*\\(3 threads, CPython $version\\.[0-9]+\\)" "$WORK/dump.out"
    [ "$(py_frames "$WORK/main" | tr '\n' ' ')" = "ratio_hot:$l_hot main:$l_main <module>:$l_module " ] ||
        fail "$version: main thread's Python frames: $(cat "$WORK/main")"
    # Merged where the evaluation loop ran, not hung below _start: with
    # every native frame kept (--native), no Python frame comes after the
    # frames that started the interpreter.
    dump "$pid" --native
    frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/main-native"
    grep -q '(Python)' "$WORK/main-native" ||
        fail "$version: --native dump has no Python frame: $(cat "$WORK/dump.out")"
    awk '/_start|__libc_start/ { started = 1 } started && /\(Python\)/ { bad = 1 } END { exit !bad }' \
        "$WORK/main-native" &&
        fail "$version: Python frames hang below the native ones: $(cat "$WORK/main-native")"
    assert_grep "idle_wait at $script:$l_sleep\$" "$WORK/dump.out"
    assert_grep "\\) +Größe\\.wärme at $script:$l_unicode\$" "$WORK/dump.out"
    assert_grep '\[holds the GIL\]' "$WORK/dump.out"
    assert_untouched "$pid"

    # The live view: 75/25, and every sample lined up.
    live_samples "$pid" 8
    assert_grep "CPython $version" "$WORK/live"
    misaligned=$(misaligned_count "$WORK/live")
    [ "$misaligned" = 0 ] || fail "$version: $misaligned samples misaligned: $(head -c 3000 "$WORK/live")"
    assert_near "$(total_of ratio_hot "$WORK/live")" 75 3 "$version: ratio_hot %Total"
    assert_near "$(total_of ratio_warm "$WORK/live")" 25 3 "$version: ratio_warm %Total"
    assert_untouched "$pid"
    kill "$pid"

    # A native extension (Debian's libz) under its Python caller.
    start_target "zlib$version" py_exec "$spec" "$script" zlib
    pid=$TARGET_PID
    tries=0
    while :; do
        dump "$pid"
        frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/main"
        grep -q 'libz\.so' "$WORK/main" && break
        tries=$((tries + 1))
        [ $tries -lt 20 ] || fail "$version: never caught inside zlib: $(cat "$WORK/main")"
    done
    z=$(grep -n 'libz\.so' "$WORK/main" | head -1 | cut -d: -f1)
    c=$(grep -n "compress_loop at $script:$l_compress\$" "$WORK/main" | head -1 | cut -d: -f1)
    [ -n "$c" ] || fail "$version: no compress_loop frame: $(cat "$WORK/main")"
    [ "$z" -lt "$c" ] || fail "$version: zlib is not inside compress_loop: $(cat "$WORK/main")"
    assert_untouched "$pid"
    kill "$pid"
done
exit 0
