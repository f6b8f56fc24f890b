#!/bin/sh
# spytop record / report / view on real targets: the shares survive the
# round trip, files are created safely, a killed recorder leaves a valid
# file, a damaged file gives a clear error or a partial result.
. "$(dirname "$0")/lib.sh"
require_ptrace

start_target ratio "$TARGETS/ratio"
pid=$TARGET_PID
cd "$WORK"

# Record 6 s at 400 Hz (some 2400 samples: +-3 points holds).
"$SPYTOP" record -p "$pid" -r 400 -d 6 -o run.spytop >"$WORK/out" 2>"$WORK/err" ||
    fail "record exited $?: $(cat "$WORK/err")"
[ -s run.spytop ] || fail "no recording written"
[ "$(stat -c %a run.spytop)" = 600 ] || fail "recording mode is $(stat -c %a run.spytop), not 600"
[ -s "$WORK/out" ] && fail "record wrote to stdout: $(cat "$WORK/out")"
# Without a terminal: no progress, but the end's summary, the rate reached
# among it (and a warning only when it fell short), nothing else.
assert_grep '^spytop: wrote run\.spytop: 6\.[0-9] s, [0-9]+ samples' "$WORK/err"
assert_grep '^spytop: [0-9]+ ticks at [0-9.]+ Hz of 400 Hz asked, [0-9]+ skipped' "$WORK/err"
grep -Ev '^spytop: (wrote run\.spytop|[0-9]+ ticks at|warning: the rate reached)' "$WORK/err" |
    grep -q . && fail "record wrote more than its summary without a terminal: $(cat "$WORK/err")"
assert_untouched "$pid"

"$SPYTOP" report run.spytop >report.txt 2>report.err || fail "report exited $?: $(cat report.err)"
assert_grep "PID $pid" report.txt
assert_near "$(pct_of ratio_hot report.txt)" 75 3 "ratio_hot %Own in the report"
assert_near "$(pct_of ratio_warm report.txt)" 25 3 "ratio_warm %Own in the report"
# The stacks are the ones dump shows: main calls ratio_hot.
"$SPYTOP" report run.spytop --format collapsed >folded.txt || fail "collapsed exited $?"
assert_grep ';main;ratio_hot [0-9]+$' folded.txt
assert_grep ';main;ratio_warm [0-9]+$' folded.txt
dump "$pid"
assert_grep 'ratio_(hot|warm)\+0x[0-9a-f]+ at .*ratio\.c' "$WORK/dump.out"
# A time range and a thread.
"$SPYTOP" report run.spytop --from 1 --to 3 --thread "$pid" >part.txt || fail "range report exited $?"
assert_grep 'Selection: 1\.0 s to 3\.0 s' part.txt

# Never overwrite without --force; never through a symlink.
status=0
"$SPYTOP" record -p "$pid" -d 0.5 -o run.spytop 2>err.txt || status=$?
[ "$status" = 2 ] || fail "recording over an existing file: status $status"
assert_grep 'exists.*--force' err.txt
ln -s run.spytop link.spytop
status=0
"$SPYTOP" record -p "$pid" -d 0.5 -o link.spytop --force 2>err.txt || status=$?
[ "$status" = 2 ] || fail "recording through a symlink: status $status"
"$SPYTOP" report run.spytop >/dev/null || fail "the recording was damaged by the refused writes"
"$SPYTOP" record -p "$pid" -d 0.5 -o run.spytop --force 2>err.txt || fail "--force: $(cat err.txt)"
assert_untouched "$pid"

# Only regular files, and never under /proc, /sys or /dev, --force or not:
# /proc/PID/mem is the target's memory. A directory is named as one.
# /dev/null is the one exception: output asked to vanish.
mkdir adir
for place in "/proc/$pid/mem" /dev/zero /sys/kernel/spytop.spytop adir; do
    for force in "" --force; do
        for cmd in record report; do
            status=0
            if [ $cmd = record ]; then
                "$SPYTOP" record -p "$pid" -d 0.3 -o "$place" $force 2>err.txt || status=$?
            else
                "$SPYTOP" report run.spytop -o "$place" $force 2>err.txt || status=$?
            fi
            [ "$status" = 2 ] || fail "$cmd -o $place $force: status $status: $(cat err.txt)"
            case $place in
            adir) assert_grep "^spytop: 'adir' is a directory: name a file in it\$" err.txt ;;
            /dev/zero) assert_grep "^spytop: '/dev/zero' is not a regular file\$" err.txt ;;
            *) assert_grep "^spytop: '$place' is under /(proc|sys): spytop writes only regular files" err.txt ;;
            esac
            assert_no_grep 'force' err.txt "$cmd -o $place $force: a --force hint"
        done
    done
done
[ -z "$(ls -A adir)" ] || fail "something was written into adir: $(ls -A adir)"
for force in "" --force; do
    "$SPYTOP" record -p "$pid" -d 0.3 -o /dev/null $force 2>err.txt || fail "record -o /dev/null $force: $(cat err.txt)"
    "$SPYTOP" report run.spytop -o /dev/null $force 2>err.txt || fail "report -o /dev/null $force: $(cat err.txt)"
done
[ -c /dev/null ] || fail "/dev/null is no longer the null device"
assert_untouched "$pid"

# A report never overwrites either.
"$SPYTOP" report run.spytop -o out.txt || fail "report -o exited $?"
status=0
"$SPYTOP" report run.spytop -o out.txt 2>err.txt || status=$?
[ "$status" = 2 ] || fail "report over an existing file: status $status"

# SIGINT, SIGTERM, SIGHUP end a recording cleanly: a complete file.
for sig in INT TERM HUP; do
    "$SPYTOP" record -p "$pid" -o "$sig.spytop" 2>/dev/null &
    spy=$!
    sleep 1.5
    kill -s "$sig" "$spy"
    wait "$spy" || fail "record exited $? on SIG$sig"
    assert_untouched "$pid"
    "$SPYTOP" report "$sig.spytop" >int.txt 2>int.err ||
        fail "report of a recording ended by SIG$sig exited $?: $(cat int.err)"
    assert_grep 'complete' int.txt
done

# SIGKILL: the file holds all but the last second.
"$SPYTOP" record -p "$pid" -o killed.spytop 2>/dev/null &
spy=$!
sleep 3.3
kill -KILL "$spy"
wait "$spy" 2>/dev/null
sleep 0.2
assert_untouched "$pid"
status=0
"$SPYTOP" report killed.spytop >killed.txt 2>killed.err || status=$?
[ "$status" = 1 ] || fail "report of a killed recording: status $status (expected 1: partial): $(cat killed.err)"
assert_grep 'truncated|incomplete|no END|recovered' killed.err
# The report's header says it in words a reader parses.
assert_grep '^Incomplete recording: no end record after byte [0-9]+' killed.txt
seconds=$(sed -n 's/.* samples over \([0-9.]*\) s.*/\1/p' killed.txt | head -1)
awk -v s="$seconds" 'BEGIN { exit !(s >= 1.8) }' || fail "only ${seconds:-?} s recovered of 3.3 s"
assert_grep 'ratio_hot' killed.txt

# Damaged files: cut at many places and with flipped bytes, never a crash
# or a hang; a clear message or a partial result.
size=$(stat -c %s run.spytop)
off=0
while [ "$off" -lt "$size" ]; do
    head -c "$off" run.spytop >cut.spytop
    status=0
    timeout 10 "$SPYTOP" report cut.spytop >/dev/null 2>cut.err || status=$?
    case $status in
    0 | 1 | 2) ;;
    *) fail "report of the file cut at $off bytes: status $status: $(cat cut.err)" ;;
    esac
    [ "$status" = 2 ] && ! grep -q '^spytop: ' cut.err && fail "no message for a file cut at $off"
    off=$((off + size / 23 + 1))
done
for at in 9 20 40 100 300; do
    [ "$at" -lt "$size" ] || continue
    cp run.spytop flip.spytop
    printf '\377' | dd of=flip.spytop bs=1 seek="$at" conv=notrunc 2>/dev/null
    status=0
    timeout 10 "$SPYTOP" report flip.spytop >/dev/null 2>flip.err || status=$?
    case $status in
    0 | 1 | 2) ;;
    *) fail "report of a file with byte $at flipped: status $status" ;;
    esac
done
printf 'not a recording' >junk.spytop
status=0
"$SPYTOP" report junk.spytop 2>junk.err || status=$?
[ "$status" = 2 ] || fail "report of junk: status $status"
assert_grep '^spytop: .*not a spytop recording' junk.err

# record -- COMMAND keeps the command's status.
status=0
"$SPYTOP" record -o cmd.spytop -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3' \
    2>/dev/null || status=$?
[ "$status" = 3 ] || fail "record -- COMMAND: status $status, expected the command's 3"
"$SPYTOP" report cmd.spytop >/dev/null || fail "report of a recorded command exited $?"
exit 0
