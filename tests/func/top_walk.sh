#!/bin/sh
# The callers panel walks the call graph, at 80x24 and at 200x50: Enter on
# a caller or callee makes it the focus, Left goes back the way it came,
# Esc leaves for the hot list. The chain target's stacks are known:
# main -> chain_outer -> chain_middle -> chain_inner -> target_burn.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target chain "$TARGETS/chain"
pid=$TARGET_PID

# focus_is NAME PATH: the panel is about NAME, reached along PATH.
focus_is() {
    tmux_wait_for "Callers of $1 \("
    assert_grep "^ Walk: $2\$" "$WORK/screen"
}

# row_after TITLE_PATTERN: the first row under the title.
row_after() {
    awk -v t="$1" 'found { print; exit } $0 ~ t { found = 1 }' "$WORK/screen"
}

walk() {
    cols=$1
    rows=$2
    tmux_start "$cols" "$rows" "$SPYTOP" -p "$pid" -r 200
    tmux_wait_for 'chain_middle'
    sleep 1
    # The hot list's first row is the spinning leaf.
    tmux_wait_for '^ +[0-9.]+ +[0-9.]+ .* target_burn'
    tmux_keys Home Enter
    focus_is target_burn 'target_burn'
    assert_grep '^ 100\.0%  chain_inner  \[chain\]' "$WORK/screen"

    # Up the chain: the cursor starts on the first caller.
    tmux_keys Enter
    focus_is chain_inner 'target_burn > chain_inner'
    row_after 'Callers of chain_inner' >"$WORK/row"
    assert_grep '^ 100\.0%  chain_middle  \[chain\]$' "$WORK/row"
    assert_grep '^ +[0-9.]+%  target_burn  \[chain\]' "$WORK/screen"
    tmux_keys Enter
    focus_is chain_middle 'target_burn > chain_inner > chain_middle'
    tmux_keys Enter
    focus_is chain_outer 'target_burn > chain_inner > chain_middle > chain_outer'
    row_after 'Callers of chain_outer' >"$WORK/row"
    assert_grep '^ 100\.0%  main  \[chain\]$' "$WORK/row"
    tmux_keys Enter
    focus_is main 'target_burn > chain_inner > chain_middle > chain_outer > main'
    row_after 'Callees of main' >"$WORK/row"
    assert_grep '^ 100\.0%  chain_outer  \[chain\]$' "$WORK/row"

    # Down again: main has one caller, so its second row is its callee.
    tmux_keys j Enter
    if [ "$cols" -ge 100 ]; then
        focus_is chain_outer 'target_burn > chain_inner > chain_middle > chain_outer > main > chain_outer'
    else
        # The path's start gives way to its end.
        focus_is chain_outer '\.\.\. > chain_inner > chain_middle > chain_outer > main > chain_outer'
    fi

    # Back: main again, its cursor where it was (on chain_outer, so Enter
    # walks there once more).
    tmux_keys Left
    focus_is main 'target_burn > chain_inner > chain_middle > chain_outer > main'
    tmux_keys Enter
    tmux_wait_for 'Callers of chain_outer \('
    tmux_keys Left
    focus_is main 'target_burn > chain_inner > chain_middle > chain_outer > main'
    tmux_keys BSpace
    focus_is chain_outer 'target_burn > chain_inner > chain_middle > chain_outer'
    tmux_keys Left Left
    focus_is chain_inner 'target_burn > chain_inner'

    # The leaf's "(self)" is no function to walk to: Enter stays.
    tmux_keys Left
    focus_is target_burn 'target_burn'
    tmux_keys End Enter
    sleep 0.5
    focus_is target_burn 'target_burn'
    assert_grep '^ +[0-9.]+%  \(self\)' "$WORK/screen"

    # Left past the start: the hot list.
    tmux_keys Left
    tmux_wait_for 'Function'
    assert_no_grep 'Callers of' "$WORK/screen"

    # Esc from deep in a walk: the hot list at once.
    tmux_keys Home Enter
    focus_is target_burn 'target_burn'
    tmux_keys Enter Enter
    focus_is chain_middle 'target_burn > chain_inner > chain_middle'
    tmux_keys Escape
    tmux_wait_for 'Function'
    assert_no_grep 'Callers of' "$WORK/screen"
    [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$WORK/screen")" -le "$cols" ] ||
        fail "lines wider than $cols columns"
    tmux_quit "spytop at ${cols}x$rows"
    assert_untouched "$pid"
}

walk 80 24
walk 200 50
exit 0
