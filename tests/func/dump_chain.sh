#!/bin/sh
# A -O0 target with a known call chain: the dump shows the chain in order,
# with source lines, and the target runs on untouched.
. "$(dirname "$0")/lib.sh"
require_ptrace

for mode in spin sleep; do
    start_target chain "$TARGETS/chain" "$mode"
    pid=$TARGET_PID
    dump "$pid"
    [ "$DUMP_STATUS" = 0 ] || fail "dump of chain ($mode) exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    frames_of_thread "$pid" "$WORK/dump.out" >"$WORK/frames"
    # Innermost first: chain_inner, then chain_middle, chain_outer, main.
    call_order "$WORK/frames" 'chain_inner\|chain_middle\|chain_outer\| main+' >"$WORK/order"
    [ "$(cat "$WORK/order")" = "chain_inner chain_middle chain_outer main " ] ||
        fail "chain order ($mode) is '$(cat "$WORK/order")': $(cat "$WORK/dump.out")"
    # Return addresses map to the line of the call (looked up at pc - 1).
    src=$TESTS_SRCDIR/targets/chain.c
    l_middle=$(source_line "$src" 'chain_inner();')
    l_outer=$(source_line "$src" 'chain_middle();')
    # Absolute, or relative to the source tree when the build mapped its
    # directory away (-ffile-prefix-map=DIR=., as Debian's packages build).
    at="at (/.*/)?tests/targets/chain\.c"
    assert_grep "chain_middle\+0x[0-9a-f]+ $at:$l_middle \[chain\]\$" "$WORK/frames"
    assert_grep "chain_outer\+0x[0-9a-f]+ $at:$l_outer \[chain\]\$" "$WORK/frames"
    if [ "$mode" = sleep ]; then
        assert_grep "^Thread $pid \"chain\" sleeping in (clock_nanosleep|nanosleep)" "$WORK/dump.out"
    fi
    assert_untouched "$pid"
    # The target is still alive and running its loop after the dump.
    sleep 0.1
    assert_untouched "$pid"
    kill "$pid"
done
exit 0
