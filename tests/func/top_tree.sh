#!/bin/sh
# The call tree panel (c), at 80x24 and 200x50: top-down, the hottest path
# open, children a level in and hottest first, with %Total and %Self; nodes
# close and open by key; s shows a node's source. The ratio target's main
# calls ratio_hot (3/4 of the work) and ratio_warm (1/4), each all self.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID

# row NAME: the tree row of function NAME as "TOTAL SELF COLUMN MARK", the
# column where its name starts, MARK "-" open, "+" closed, "." a leaf.
row() {
    awk -v f="$1" '/^ *[0-9]+\.[0-9] +[0-9]+\.[0-9]  / {
        at = index($0, " " f "  [")
        if (!at) next
        mark = substr($0, at - 1, 1)
        if (mark == " ") mark = "."
        print substr($0, 1, 6) + 0, substr($0, 8, 6) + 0, at + 1, mark
        exit
    }' "$WORK/screen"
}

# wait_gone_from_screen PATTERN: until the screen no longer shows PATTERN.
wait_gone_from_screen() {
    i=0
    while tmux_capture && grep -Eq -- "$1" "$WORK/screen"; do
        i=$((i + 1))
        [ $i -gt 100 ] && fail "the screen still shows /$1/: $(cat "$WORK/screen")"
        sleep 0.1
    done
}

field() {
    echo "$1" | cut -d' ' -f"$2"
}

tree() {
    cols=$1
    rows=$2
    tmux_start "$cols" "$rows" "$SPYTOP" -p "$pid" -r 200
    tmux_wait_for 'ratio_warm'
    # A window's worth of samples (5 s at 200 Hz).
    sleep 5
    tmux_keys c
    tmux_wait_for 'Call tree, top-down'
    tmux_wait_for ' ratio_warm  \['
    main=$(row main)
    hot=$(row ratio_hot)
    warm=$(row ratio_warm)
    [ -n "$main" ] && [ -n "$hot" ] && [ -n "$warm" ] || fail "rows missing: $(cat "$WORK/screen")"
    [ "$(field "$main" 4)" = - ] || fail "main is not open: $main"
    assert_near "$(field "$main" 1)" 100 0.1 "%Total of main"
    assert_near "$(field "$main" 2)" 0 1 "%Self of main"
    assert_near "$(field "$hot" 1)" 75 6 "%Total of ratio_hot"
    assert_near "$(field "$hot" 2)" "$(field "$hot" 1)" 1 "%Self of ratio_hot"
    assert_near "$(field "$warm" 1)" 25 6 "%Total of ratio_warm"
    [ "$(field "$hot" 4)" = . ] || fail "ratio_hot is not a leaf: $hot"
    # Children a level (2 columns) in, hottest first.
    [ "$(field "$hot" 3)" = $(($(field "$main" 3) + 2)) ] || fail "ratio_hot not under main: $hot / $main"
    [ "$(field "$warm" 3)" = "$(field "$hot" 3)" ] || fail "ratio_warm not ratio_hot's sibling"
    [ "$(grep -n ' ratio_hot  \[' "$WORK/screen" | cut -d: -f1)" -lt \
        "$(grep -n ' ratio_warm  \[' "$WORK/screen" | cut -d: -f1)" ] || fail "ratio_warm before ratio_hot"
    [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$WORK/screen")" -le "$cols" ] ||
        fail "lines wider than $cols columns"

    # The cursor is at the hottest path's end (ratio_hot): Left goes to
    # main, Left again closes it.
    tmux_keys Left Left
    tmux_wait_for '\+ main  \['
    assert_no_grep 'ratio_hot|ratio_warm' "$WORK/screen"
    tmux_keys +
    tmux_wait_for ' ratio_warm  \['
    assert_grep '\- main  \[' "$WORK/screen"
    tmux_keys -
    tmux_wait_for '\+ main  \['
    tmux_keys Enter
    tmux_wait_for ' ratio_hot  \['

    # Paused, the tree stays as it was (running, its figures move).
    tmux_keys Space
    tmux_wait_for 'PAUSED'
    grep -E '^ *[0-9]+\.[0-9] ' "$WORK/screen" >"$WORK/paused1"
    sleep 2.5
    tmux_capture
    grep -E '^ *[0-9]+\.[0-9] ' "$WORK/screen" >"$WORK/paused2"
    cmp -s "$WORK/paused1" "$WORK/paused2" || fail "the tree changed while paused"
    tmux_keys Space
    wait_gone_from_screen PAUSED

    # s: the source of the node's function (main); Left back to the tree.
    tmux_keys s
    tmux_wait_for 'Source of main'
    tmux_keys Left
    tmux_wait_for 'Call tree, top-down'

    # C closes every node (the cursor to the top), E opens every one.
    tmux_keys C
    wait_gone_from_screen ' main  \['
    assert_grep '^ +[0-9.]+ +[0-9.]+  \+ ' "$WORK/screen"
    assert_no_grep '^ +[0-9.]+ +[0-9.]+   ' "$WORK/screen" "a node below the top level after C"
    tmux_keys E
    tmux_wait_for ' ratio_warm  \['
    assert_grep '\- main  \[' "$WORK/screen"
    # c and Esc: the hot list.
    tmux_keys c
    tmux_wait_for '%Own\* +%Total'
    assert_no_grep 'Call tree' "$WORK/screen"
    tmux_keys c
    tmux_wait_for 'Call tree, top-down'
    tmux_keys Escape
    tmux_wait_for '%Own\* +%Total'
    assert_no_grep 'Call tree' "$WORK/screen"
    tmux_quit "spytop at ${cols}x$rows"
}

tree 80 24
tree 200 50
assert_untouched "$pid"
exit 0
