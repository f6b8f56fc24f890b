#!/bin/sh
# The disk fills while recording (a small tmpfs): spytop stops, detaches
# the target untouched, says so (exit 2), and the file stays readable up to
# its last complete chunk.
. "$(dirname "$0")/lib.sh"
require_ptrace

disk=$WORK/disk
mkdir "$disk"
mount -t tmpfs -o size=64k,mode=0700 spytop-test "$disk" 2>/dev/null ||
    skip "cannot mount a tmpfs here"
unmount() {
    umount "$disk" 2>/dev/null
    tmux_cleanup
}
trap unmount EXIT
# Leave four pages free: the header and the first chunks fit (the first
# holds every name and frame seen so far: with one page free and 1000 Hz it
# once did not, and the file held no sample), then no more.
dd if=/dev/zero of="$disk/filler" bs=4k count=12 2>/dev/null
note "free: $(df -k "$disk" | awk 'NR == 2 {print $4}') KiB"

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
status=0
timeout -k 2 120 "$SPYTOP" record -p "$pid" -r 500 -o "$disk/full.spytop" >"$WORK/out" 2>"$WORK/err" ||
    status=$?
note "record: status $status: $(cat "$WORK/err")"
[ "$status" = 2 ] || fail "record on a full disk exited $status: $(cat "$WORK/err")"
assert_grep '^spytop: .*No space left on device.*holds what was written before' "$WORK/err"
assert_untouched "$pid"

status=0
"$SPYTOP" report "$disk/full.spytop" >"$WORK/report" 2>"$WORK/report.err" || status=$?
[ "$status" = 1 ] || fail "report of the cut recording exited $status: $(cat "$WORK/report.err")"
assert_grep 'recovered [1-9][0-9]* samples' "$WORK/report.err"
assert_grep 'worker_(alpha|beta|gamma|delta)' "$WORK/report"
exit 0
