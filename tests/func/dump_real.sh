#!/bin/sh
# Real programs: a Python interpreter and a compressor.
. "$(dirname "$0")/lib.sh"
require_ptrace

ran=0
for py in /usr/bin/python3 python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    start_program python "$py" -c 'import time
def busy():
    x = 0
    while True:
        x += 1
busy()'
    dump "$TARGET_PID"
    [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] || fail "dump of $py exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_grep '_PyEval_EvalFrameDefault|PyEval_EvalCode' "$WORK/dump.out" "$py: no interpreter frames"
    assert_grep 'Py_RunMain|Py_BytesMain|pymain_run_python' "$WORK/dump.out" "$py: stack does not reach the interpreter's main"
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
    ran=$((ran + 1))
    break
done

for z in xz gzip; do
    command -v $z >/dev/null || continue
    # Compress an endless stream: the compressor is always busy.
    start_program "$z" sh -c "exec $z -c </dev/urandom >/dev/null"
    dump "$TARGET_PID"
    [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] || fail "dump of $z exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_grep "^Thread $TARGET_PID \"$z\"" "$WORK/dump.out"
    assert_grep '(__)?libc_start_call_main|__libc_start_main' "$WORK/dump.out" "$z: stack does not reach libc's start"
    if [ $z = xz ]; then
        assert_grep 'lzma_|\[liblzma' "$WORK/dump.out" "xz: no liblzma frames"
    fi
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
    ran=$((ran + 1))
done
[ $ran -gt 0 ] || skip "neither python3 nor a compressor is installed"
exit 0
