#!/bin/sh
# Real programs: a Python interpreter and a compressor.
. "$(dirname "$0")/lib.sh"
require_ptrace

ran=0
for py in /usr/bin/python3 python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    # "ready" once the interpreter is about to enter busy(): a first start
    # on a cold machine can take seconds (CI once caught it still starting).
    start_target python "$py" -c 'import sys
def busy():
    x = 0
    while True:
        x += 1
print("ready", flush=True)
busy()'
    dump "$TARGET_PID"
    [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] || fail "dump of $py exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    # Python frames in place of the interpreter's: by default the stack is
    # busy and <module>, the interpreter's own code (its start-up in libc
    # too) left out.
    assert_grep ', CPython 3\.[0-9]+' "$WORK/dump.out" "$py: not recognised as CPython"
    frames_of_thread "$TARGET_PID" "$WORK/dump.out" >"$WORK/frames"
    grep -Eq '^  #0 +\(Python\) +busy at <string>:[45]$' "$WORK/frames" &&
        grep -Eq '^  #1 +\(Python\) +<module> at <string>:7$' "$WORK/frames" &&
        [ "$(wc -l <"$WORK/frames")" = 2 ] ||
        fail "$py: the stack is not busy, <module>: $(cat "$WORK/dump.out")"
    # --native: the same Python frames between the interpreter's, down to
    # libc's start.
    dump "$TARGET_PID" --native
    assert_grep '\(Python\) +busy at <string>:[45]$' "$WORK/dump.out" "$py --native: no Python frame for busy"
    assert_grep '\(Python\) +<module> at <string>:7$' "$WORK/dump.out" "$py --native: no Python frame for the module"
    assert_grep '__libc_start_call_main|__libc_start_main' "$WORK/dump.out" "$py --native: stack does not reach libc's start"
    assert_grep 'PyEval_EvalCode|Py_RunMain' "$WORK/dump.out" "$py --native: no interpreter frames"
    # --no-python: the interpreter's own frames.
    dump "$TARGET_PID" --no-python
    assert_grep '_PyEval_EvalFrameDefault|PyEval_EvalCode' "$WORK/dump.out" "$py --no-python: no interpreter frames"
    assert_no_grep '\(Python\)' "$WORK/dump.out" "$py --no-python: Python frames anyway"
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
    ran=$((ran + 1))
    break
done

for z in xz gzip; do
    command -v $z >/dev/null || continue
    # Compress an endless stream: the compressor is always busy.
    start_program "$z" sh -c "exec $z -c </dev/urandom >/dev/null"
    wait_for_comm "$TARGET_PID" "$z"
    dump "$TARGET_PID"
    [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] || fail "dump of $z exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_grep "^Thread $TARGET_PID \"$z\"" "$WORK/dump.out"
    assert_grep '(__)?libc_start_call_main|__libc_start_main' "$WORK/dump.out" "$z: stack does not reach libc's start"
    if [ $z = xz ]; then
        assert_grep 'lzma_|\[liblzma' "$WORK/dump.out" "xz: no liblzma frames"
        # The live view (plain text) shows the compressor's hot spots too.
        "$SPYTOP" -p "$TARGET_PID" --batch --iterations 1 --delay 1.5 --rows 10 >"$WORK/live" 2>&1 ||
            fail "xz: --batch exited $?"
        assert_grep '\[liblzma\.so' "$WORK/live" "xz: no liblzma rows in the live view"
    fi
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
    ran=$((ran + 1))
done
[ $ran -gt 0 ] || skip "neither python3 nor a compressor is installed"
exit 0
