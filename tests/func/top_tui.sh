#!/bin/sh
# The live view in a real terminal (tmux): figures, keys, resize, exits.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID
# +-3 points needs some 2000 samples (one standard deviation is 1 point):
# 400 Hz for 6 s, all in the 10 s window.
tmux_start 110 30 "$SPYTOP" -p "$pid" -r 400 --window 10
tmux_wait_for 'ratio_warm'
sleep 6
tmux_capture
hot=$(pct_of ratio_hot "$WORK/screen")
warm=$(pct_of ratio_warm "$WORK/screen")
assert_near "$hot" 75 3 "ratio_hot %Own on screen"
assert_near "$warm" 25 3 "ratio_warm %Own on screen"
assert_grep "PID $pid: .*targets/ratio" "$WORK/screen"
assert_grep '%Own\* %Total +OwnTime +TotalTime +Function +Location +Module' "$WORK/screen"
assert_grep '^ q quit' "$WORK/screen"
[ "$(grep -c '' "$WORK/screen")" -le 30 ] || fail "more lines than the terminal has"

# Lines.
tmux_keys l
tmux_wait_for 'Function \(by line\)'
assert_grep 'ratio_hot +targets/ratio\.c:[0-9]+' "$WORK/screen"
tmux_keys l

# Help, and back.
tmux_keys '?'
tmux_wait_for '^Keys'
tmux_keys End
tmux_wait_for 'What the figures mean'
assert_grep '%Own +share of the thread samples' "$WORK/screen"
tmux_keys Escape
tmux_wait_for 'ratio_warm'

# Sort by %Total: main and friends (100 %) come first.
tmux_keys 2
tmux_wait_for '%Total\*'
tmux_keys 1

# Filter.
tmux_keys / w a r m Enter
tmux_wait_for 'filter: warm'
assert_no_grep 'ratio_hot' "$WORK/screen"
assert_grep 'ratio_warm' "$WORK/screen"
tmux_keys / C-u Enter
tmux_wait_for 'ratio_hot'

# Callers and callees of the selected (first) row.
tmux_keys Enter
tmux_wait_for 'Callers of ratio_hot'
assert_grep '100\.0%  main' "$WORK/screen"
assert_grep '\(self\)' "$WORK/screen"
tmux_keys Escape

# Threads panel: choose the thread, then all threads again.
tmux_keys t
tmux_wait_for 'TID +Name +State'
assert_grep "^ +$pid +ratio +(running|sleeping)" "$WORK/screen"
tmux_keys Down Enter
tmux_wait_for "thread $pid"
tmux_keys t Home Enter
tmux_wait_for 'all threads'

# Window and pause.
tmux_keys w
tmux_wait_for 'Window 30s'
tmux_keys Space
tmux_wait_for 'PAUSED'
tmux_keys Space

# Resize: the screen follows.
tmux -L "$TMUX_SOCKET" resize-window -x 80 -y 24
sleep 1.5
tmux_capture
[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$WORK/screen")" -le 80 ] ||
    fail "lines wider than 80 columns after the resize"
assert_grep 'ratio_hot' "$WORK/screen"
assert_grep '^ q quit' "$WORK/screen"

# q: exit 0, the terminal given back (the alternate screen is gone), the
# target untouched.
tmux_keys q
tmux_wait_exit
[ "$TMUX_STATUS" = 0 ] || fail "spytop exited $TMUX_STATUS: $(cat "$WORK/tmux.stderr")"
tmux_capture
assert_no_grep 'ratio_hot|%Own' "$WORK/screen" "the screen was not restored"
[ -s "$WORK/tmux.stderr" ] && fail "stray output on stderr: $(cat "$WORK/tmux.stderr")"
assert_untouched "$pid"
tmux -L "$TMUX_SOCKET" kill-server
TMUX_STARTED=

# SIGTERM to spytop, and Ctrl-C: same clean exit.
for how in TERM C-c; do
    rm -f "$WORK/tmux.status"
    tmux_start 100 30 "$SPYTOP" -p "$pid"
    tmux_wait_for 'ratio_hot'
    if [ "$how" = TERM ]; then
        spy=$(pgrep -n -f "^$SPYTOP -p $pid\$")
        [ -n "$spy" ] || fail "cannot find spytop's pid"
        kill -TERM "$spy"
    else
        tmux_keys C-c
    fi
    tmux_wait_exit
    [ "$TMUX_STATUS" = 0 ] || fail "spytop exited $TMUX_STATUS after $how"
    tmux_capture
    assert_no_grep 'ratio_hot' "$WORK/screen" "screen not restored after $how"
    assert_untouched "$pid"
    tmux -L "$TMUX_SOCKET" kill-server
    TMUX_STARTED=
done

# The target exits under the view: it says so, keeps the figures, q ends.
start_target ratio2 "$TARGETS/ratio"
victim=$TARGET_PID
rm -f "$WORK/tmux.status"
tmux_start 100 30 "$SPYTOP" -p "$victim"
tmux_wait_for 'ratio_hot'
kill -TERM "$victim"
tmux_wait_for 'EXITED \(killed by SIGTERM\)'
# The notice is drawn in the same update, a few lines below: a capture may
# come between the two.
tmux_wait_for 'The target has exited'
assert_grep 'ratio_hot' "$WORK/screen"
[ -s "$WORK/tmux.status" ] && fail "spytop did not wait for q after the target exited"
tmux_keys q
tmux_wait_exit
[ "$TMUX_STATUS" = 0 ] || fail "spytop exited $TMUX_STATUS after the target's exit"
tmux -L "$TMUX_SOCKET" kill-server
TMUX_STARTED=

# -d runs out: the target is let go, the last figures stay until q.
rm -f "$WORK/tmux.status"
tmux_start 100 30 "$SPYTOP" -p "$pid" -d 1.5
tmux_wait_for 'ratio_hot'
tmux_wait_for 'Sampling ended \(-d\)' 5
assert_grep 'ratio_hot' "$WORK/screen" "-d: the figures did not stay"
sleep 0.5
[ -s "$WORK/tmux.status" ] && fail "-d: spytop did not wait for q"
tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/"$pid"/status)
[ "$tracer" = 0 ] || fail "-d: the target is still traced (by $tracer) while the figures stay"
assert_untouched "$pid"
tmux_quit "-d then q"

# Ctrl-Z: the target is detached while spytop is stopped, and attached
# again when it continues.
rm -f "$WORK/tmux.status"
tmux_start 100 30 "$SPYTOP" -p "$pid"
tmux_wait_for 'ratio_hot'
spy=$(pgrep -n -f "^$SPYTOP -p $pid\$")
tmux_keys C-z
i=0
while [ "$(sed -e 's/.*) //' -e 's/ .*//' /proc/"$spy"/stat)" != T ]; do
    i=$((i + 1))
    [ $i -gt 50 ] && fail "spytop did not stop on Ctrl-Z"
    sleep 0.1
done
assert_untouched "$pid"
kill -CONT "$spy"
sleep 1
tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/"$pid"/status)
[ "$tracer" = "$spy" ] || fail "not attached again after SIGCONT (TracerPid $tracer)"
tmux_wait_for 'ratio_hot'
tmux_keys q
tmux_wait_exit
[ "$TMUX_STATUS" = 0 ] || fail "spytop exited $TMUX_STATUS after Ctrl-Z and q"
assert_untouched "$pid"
exit 0
