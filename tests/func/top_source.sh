#!/bin/sh
# The source panel (s), at 80x24 and 200x50: a function's source with the
# share of the window's samples on each line, its hottest line the known
# hot one; from the walk too; a file that cannot be read is named with the
# reason. The ratio target spends 3/4 of its work on one line of ratio_hot
# (SPIN(iterations, 0)) and calls it from one line of main.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID

# source_rows: the panel's rows with figures, as "OWN TOTAL LINE TEXT".
source_rows() {
    awk '/^ *[0-9]+\.[0-9] +[0-9]+\.[0-9] +[0-9]+  / {
        print substr($0, 1, 6) + 0, substr($0, 8, 6) + 0, substr($0, 15, 6) + 0, substr($0, 23)
    }' "$WORK/screen"
}

# hottest: the row with the highest %Total (then %Own).
hottest() {
    source_rows | sort -k2,2nr -k1,1nr | head -n 1
}

source_of() {
    cols=$1
    rows=$2
    tmux_start "$cols" "$rows" "$SPYTOP" -p "$pid" -r 200
    tmux_wait_for 'ratio_warm'
    # A window's worth of samples (5 s at 200 Hz).
    sleep 5
    tmux_keys Home s
    tmux_wait_for 'Source of ratio_hot'
    tmux_wait_for 'SPIN\(iterations, 0\);'
    # The path as the debug information names it, "." and ".." resolved as
    # the symbolizer resolves them (make distcheck builds from _build/sub).
    assert_grep "^ $(realpath -sm "$TESTS_SRCDIR/targets/ratio.c" | sed 's/\./\\./g')\$" "$WORK/screen"
    hottest >"$WORK/hot"
    assert_grep ' SPIN\(iterations, 0\);$' "$WORK/hot"
    # Its own share is ratio_hot's (75 % of the work).
    assert_near "$(cut -d' ' -f1 "$WORK/hot")" 75 6 "%Own of ratio_hot's hot line"
    # The rest of ratio_hot's lines: next to nothing.
    [ "$(source_rows | awk '$2 >= 10' | wc -l)" = 1 ] ||
        fail "more than one hot line in ratio_hot: $(source_rows)"
    # The function's header is in view (placed around the hot line).
    assert_grep '^ +[0-9]+  ratio_hot\(unsigned iterations\)$' "$WORK/screen"
    [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$WORK/screen")" -le "$cols" ] ||
        fail "lines wider than $cols columns"

    # Scrolling: Home shows the file's first line, Left goes back.
    tmux_keys Home
    tmux_wait_for '^ +1  /\* Spends a known share'
    tmux_keys Left
    tmux_wait_for 'Function'
    assert_no_grep 'Source of' "$WORK/screen"

    # From the walk: ratio_hot's caller main, whose hot line is the call.
    tmux_keys Home Enter
    tmux_wait_for 'Callers of ratio_hot'
    tmux_keys Enter
    tmux_wait_for 'Callers of main \('
    tmux_keys s
    tmux_wait_for 'Source of main'
    tmux_wait_for 'ratio_warm\(ROUND_ITERATIONS - hot\);'
    hottest >"$WORK/hot"
    assert_grep ' ratio_hot\(hot\);$' "$WORK/hot"
    assert_near "$(cut -d' ' -f2 "$WORK/hot")" 75 6 "%Total of main's call of ratio_hot"
    # main itself hardly runs: its lines are on the stack, not running.
    assert_near "$(cut -d' ' -f1 "$WORK/hot")" 0 2 "%Own of main's call of ratio_hot"
    source_rows | grep ' ratio_warm(ROUND_ITERATIONS - hot);$' >"$WORK/warm" ||
        fail "no figures on main's call of ratio_warm: $(cat "$WORK/screen")"
    assert_near "$(cut -d' ' -f2 "$WORK/warm")" 25 6 "%Total of main's call of ratio_warm"
    # Left: back to the walk where it was.
    tmux_keys Left
    tmux_wait_for 'Callers of main \('
    assert_grep '^ Walk: ratio_hot > main$' "$WORK/screen"
    tmux_quit "spytop at ${cols}x$rows"
}

source_of 80 24
source_of 200 50

# A source file that is gone: the panel names it and why, and still lists
# the lines with their figures.
if command -v cc >/dev/null; then
    cp "$TESTS_SRCDIR/targets/ratio.c" "$TESTS_SRCDIR/targets/common.h" "$WORK/"
    cc -O1 -g -o "$WORK/gone" "$WORK/ratio.c" 2>"$WORK/cc.err" || fail "cc failed: $(cat "$WORK/cc.err")"
    hot_line=$(grep -n 'SPIN(iterations, 0);' "$WORK/ratio.c" | cut -d: -f1)
    rm "$WORK/ratio.c"
    start_target gone "$WORK/gone"
    gone=$TARGET_PID
    tmux_start 80 24 "$SPYTOP" -p "$gone" -r 200
    tmux_wait_for 'ratio_hot'
    sleep 1
    tmux_keys Home s
    tmux_wait_for 'Source of ratio_hot'
    tmux_wait_for "^ cannot read $WORK/ratio\\.c: No such file or directory"
    tmux_wait_for '\(the lines with samples\)'
    tmux_wait_for "^ +[0-9.]+ +[0-9.]+ +$hot_line *\$"
    tmux_quit "spytop on a target whose source is gone"
    assert_untouched "$gone"
else
    note "no cc: the unreadable source is not tried"
fi
assert_untouched "$pid"
exit 0
