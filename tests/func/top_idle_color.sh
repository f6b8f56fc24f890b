#!/bin/sh
# The live view of a sleeping target: nothing hot until idle threads are
# included; colours, and none with NO_COLOR.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target chain "$TARGETS/chain" sleep
pid=$TARGET_PID
tmux_start 100 30 "$SPYTOP" -p "$pid"
tmux_wait_for 'no running thread in the window'
tmux_keys i
tmux_wait_for 'clock_nanosleep'
assert_grep 'idle included' "$WORK/screen"
tmux -L "$TMUX_SOCKET" capture-pane -e -p >"$WORK/escapes"
grep -q "$(printf '\033')\[[0-9;]*3[0-7]m\|$(printf '\033')\[[0-9;]*38;5" "$WORK/escapes" ||
    fail "no colours on a colour terminal"
tmux_keys q
tmux_wait_exit
tmux -L "$TMUX_SOCKET" kill-server
TMUX_STARTED=

rm -f "$WORK/tmux.status"
tmux_start 100 30 env NO_COLOR=1 "$SPYTOP" -p "$pid" --idle
tmux_wait_for 'clock_nanosleep'
tmux -L "$TMUX_SOCKET" capture-pane -e -p >"$WORK/escapes"
if grep -q "$(printf '\033')\[[0-9;]*3[0-7]m\|$(printf '\033')\[[0-9;]*38;5" "$WORK/escapes"; then
    fail "colours despite NO_COLOR"
fi
tmux_keys q
tmux_wait_exit
[ "$TMUX_STATUS" = 0 ] || fail "exit $TMUX_STATUS"
assert_untouched "$pid"
exit 0
