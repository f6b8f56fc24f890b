#!/bin/sh
# An -O2 -fomit-frame-pointer target: unwinding needs CFI; inlined calls
# appear as their own frames with their source lines. Then the same binary
# stripped, with its DWARF found through .gnu_debuglink.
. "$(dirname "$0")/lib.sh"
require_ptrace

# check_inlined PID WHAT: dumps until the sample lands in cfi_kernel (most
# of the loop's time; a few tries at most), then checks the whole chain.
check_inlined() {
    tries=0
    while :; do
        dump "$1"
        [ "$DUMP_STATUS" = 0 ] || fail "$2: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
        frames_of_thread "$1" "$WORK/dump.out" >"$WORK/frames"
        # Innermost first: cfi_kernel (inlined) -> cfi_step (inlined) -> cfi_outer -> main.
        call_order "$WORK/frames" 'cfi_kernel (inlined)\|cfi_step (inlined)\|cfi_outer+\| main+' \
            >"$WORK/order"
        [ "$(cat "$WORK/order")" = "cfi_kernel(inlined) cfi_step(inlined) cfi_outer main " ] && break
        tries=$((tries + 1))
        [ $tries -lt 10 ] || fail "$2: inline chain is '$(cat "$WORK/order")': $(cat "$WORK/dump.out")"
    done
    # Each inlined frame sits at the line that called the one inside it.
    src=$TESTS_SRCDIR/targets/inlined.c
    l_step=$(source_line "$src" 'x = cfi_kernel(')
    l_outer=$(source_line "$src" 'seed = cfi_step(')
    # The file is the compilation directory joined with the source's name:
    # absolute, or relative to the source tree when the build mapped its
    # directory away (-ffile-prefix-map=DIR=., as Debian's packages build).
    at="at (/.*/)?tests/targets/inlined\.c"
    assert_grep "cfi_step \(inlined\) $at:$l_step " "$WORK/frames"
    assert_grep "cfi_outer\+0x[0-9a-f]+ $at:$l_outer " "$WORK/frames"
}

start_target inlined "$TARGETS/inlined"
check_inlined "$TARGET_PID" "-O2 build"
assert_untouched "$TARGET_PID"

[ -f "$TARGETS/inlined-stripped.debug" ] || fail "the stripped target was not built"
if nm "$TARGETS/inlined-stripped" 2>/dev/null | grep -q cfi_outer; then
    fail "inlined-stripped still has a symbol table"
fi
start_target stripped "$TARGETS/inlined-stripped"
check_inlined "$TARGET_PID" "stripped build with debuglink"
assert_untouched "$TARGET_PID"

# Without the separate debug file: .dynsym at best, else module+offset;
# never a crash, and the target untouched.
cp "$TARGETS/inlined-stripped" "$WORK/lonely"
start_target lonely "$WORK/lonely"
dump "$TARGET_PID"
[ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] || fail "dump (no debug info) exited $DUMP_STATUS"
assert_grep '\?\? \(lonely\+0x[0-9a-f]+\)' "$WORK/dump.out"
assert_grep '__libc_start_call_main|__libc_start_main' "$WORK/dump.out"
assert_untouched "$TARGET_PID"
exit 0
