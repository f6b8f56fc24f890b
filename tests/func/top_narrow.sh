#!/bin/sh
# The live view at 80x24 (and 200x50): counts never cut, one
# "function (file:line)" column, the help scrolls, the filter prompt.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID

# no_line_wider COLS: the captured screen fits the terminal.
no_line_wider() {
    [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$WORK/screen")" -le "$1" ] ||
        fail "lines wider than $1 columns: $(cat "$WORK/screen")"
}

tmux_start 80 24 "$SPYTOP" -p "$pid" -r 200
tmux_wait_for 'ratio_warm'
sleep 1.5
tmux_capture
no_line_wider 80
# The counts come whole at the start of their line.
assert_grep '^Samples [0-9]+ .*errors [0-9]+  skipped [0-9]+ ' "$WORK/screen"
# One column, function then location, as py-spy has it.
assert_grep '%Own\* %Total +OwnTime +TotalTime +Function \(file:line\)$' "$WORK/screen"
assert_grep ' ratio_hot \(targets/ratio\.c:[0-9]+\)' "$WORK/screen"
assert_no_grep 'Module' "$WORK/screen"

# help_uncut: the help's lines (below the 5 header lines, above the
# footer) end whole: no ellipsis ("~" in the C locale).
help_uncut() {
    sed -n '6,23p' "$WORK/screen" >"$WORK/help"
    [ -s "$WORK/help" ] || fail "no help lines captured"
    assert_no_grep '…|~' "$WORK/help" "a help line was cut"
}

# Help: starts at its top, nothing cut, scrolls to its end.
tmux_keys '?'
tmux_wait_for '^Keys'
assert_no_grep 'What the figures mean' "$WORK/screen" "24 rows cannot hold the whole help"
assert_grep 'more below' "$WORK/screen"
help_uncut
tmux_keys j
tmux_wait_for '^  q, F10'
assert_no_grep '^Keys' "$WORK/screen" "j did not scroll the help"
tmux_keys k
tmux_wait_for '^Keys'
tmux_keys NPage NPage
tmux_wait_for 'What the figures mean'
assert_grep '^          stack\.$' "$WORK/screen"
assert_no_grep 'more below' "$WORK/screen"
help_uncut
no_line_wider 80
tmux_keys Escape
tmux_wait_for 'ratio_warm'

# Filter: the prompt on the bottom line, empty; Esc keeps the old filter.
tmux_keys / w a r m
tmux_wait_for '^/warm  Enter apply'
[ "$(tail -n 1 "$WORK/screen" | cut -c1-5)" = /warm ] || fail "the prompt is not on the bottom line"
tmux_keys Enter
tmux_wait_for 'filter: warm'
assert_no_grep 'ratio_hot' "$WORK/screen"
tmux_keys /
tmux_wait_for '^/  Enter apply'
tmux_keys x Escape
tmux_wait_for '^ q quit'
assert_grep 'filter: warm$' "$WORK/screen"
assert_grep 'ratio_warm' "$WORK/screen"
# A filter that matches nothing says so.
tmux_keys / z z z z Enter
tmux_wait_for 'filter: zzzz'
tmux_wait_for 'no function, file or module matches the filter "zzzz"'
assert_no_grep 'no samples in the window' "$WORK/screen"
# An empty filter shows every row again.
tmux_keys / Enter
tmux_wait_for 'ratio_hot'
assert_no_grep 'filter:' "$WORK/screen"

# 200x50: a column each for function, location and module; still fits.
tmux -L "$TMUX_SOCKET" resize-window -x 200 -y 50
tmux_wait_for 'Function +Location +Module'
tmux_wait_for 'ratio_hot +targets/ratio\.c'
no_line_wider 200
tmux_keys '?'
tmux_wait_for 'What the figures mean'
assert_no_grep 'more below' "$WORK/screen" "50 rows hold the whole help"
tmux_keys Escape

tmux_quit "spytop at 80x24"
assert_untouched "$pid"
exit 0
