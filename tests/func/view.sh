#!/bin/sh
# spytop view: a recording in the live screens, with its timeline.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
# +-3 points needs some 2000 samples: 400 Hz for 6 s, as in record.sh.
"$SPYTOP" record -p "$TARGET_PID" -r 400 -d 6 -o "$WORK/run.spytop" || fail "record exited $?"
kill "$TARGET_PID"

tmux_start 110 30 "$SPYTOP" view "$WORK/run.spytop"
tmux_wait_for 'ratio_warm'
assert_grep 'RECORDING' "$WORK/screen"
assert_grep 'Recording of [0-9.]+ s: showing 0\.0 s to [0-9.]+ s' "$WORK/screen"
assert_grep 'Selected range' "$WORK/screen"
assert_near "$(pct_of ratio_hot "$WORK/screen")" 75 3 "ratio_hot %Own in view"
# The timeline strip sits under the header.
assert_grep '^\[.*\]$' "$WORK/screen"

# Move the range's start: the figures follow.
tmux_keys ']' ']'
tmux_wait_for 'showing 0\.[3-9][0-9]* s|showing [1-9]'
tmux_keys 0
tmux_wait_for 'showing 0\.0 s'

# The range cannot leave the recording: its start pushed to the end, then
# its end moved back (which used to show "6.0 s to 6.3 s" of 6.0 s).
for _ in $(seq 25); do tmux_keys ']'; done
tmux_keys '{' '{'
sleep 0.3
tmux_capture
range=$(sed -n 's/.*Recording of \([0-9.]*\) s: showing \([0-9.]*\) s to \([0-9.]*\) s.*/\1 \2 \3/p' "$WORK/screen")
[ -n "$range" ] || fail "no range shown: $(cat "$WORK/screen")"
echo "$range" | awk '{ exit !($2 < $3 && $3 <= $1 + 0.05) }' ||
    fail "the range left the recording: length, from, to = $range"
tmux_keys 0
tmux_wait_for 'showing 0\.0 s'

# The call tree and the source panel read the recording as they read a
# live target: the whole range's figures.
tmux_keys c
tmux_wait_for 'Call tree, top-down'
tmux_wait_for ' ratio_warm  \['
assert_near "$(awk '/ ratio_hot  \[/ { print $1; exit }' "$WORK/screen")" 75 3 "ratio_hot %Total in view's tree"
tmux_keys s
tmux_wait_for 'Source of ratio_hot'
tmux_wait_for 'SPIN\(iterations, 0\);'
assert_near "$(awk '/  +SPIN\(iterations, 0\);$/ { print $1; exit }' "$WORK/screen")" 75 3 \
    "ratio_hot's hot line %Own in view"
tmux_keys Escape

# Play: the window before the cursor.
tmux_keys p
tmux_wait_for 'playing at'
tmux_keys p
tmux_wait_for 'paused at'
tmux_keys .
tmux_wait_for 'paused at [0-9]'

# Threads panel and help work as live.
tmux_keys t
tmux_wait_for 'TID +Name'
tmux_keys Escape '?'
tmux_wait_for 'Viewing a recording'
tmux_keys Escape q
tmux_wait_exit
[ "$TMUX_STATUS" = 0 ] || fail "view exited $TMUX_STATUS: $(cat "$WORK/tmux.stderr")"

# Not a recording: a clear error, no screen.
printf 'junk' >"$WORK/junk.spytop"
rm -f "$WORK/tmux.status"
tmux -L "$TMUX_SOCKET" kill-server
TMUX_STARTED=
tmux_start 100 30 "$SPYTOP" view "$WORK/junk.spytop"
tmux_wait_exit
[ "$TMUX_STATUS" = 2 ] || fail "view of junk exited $TMUX_STATUS"
assert_grep 'not a spytop recording' "$WORK/tmux.stderr"
exit 0
