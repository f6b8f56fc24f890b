#!/bin/sh
# PID reuse between looking the target up and attaching to it: spytop
# notices (start time, pidfd), leaves the newcomer alone and says so. In a
# private PID namespace, so the test can hand the freed PID to a process of
# its own (ns_last_pid) while spytop waits in the window, widened by the
# fault-injection variable SPYTOP_FAULT_ATTACH_DELAY_MS. Each command that
# attaches: dump, record, the live view (--batch).
. "$(dirname "$0")/lib.sh"
require_ptrace
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
unshare --pid --fork --mount-proc true 2>/dev/null || skip "cannot create a PID namespace here"

cat >"$WORK/inner.sh" <<'INNER'
# Runs as init of a new PID namespace: $1 is the spytop command (dump,
# record, top), $2 "reuse" or "keep". Prints what happened as key=value.
mode=$1 reuse=$2
cd "$WORK"
sleep 300 &
first=$!
case $mode in
dump) set -- dump -p "$first" ;;
record) set -- record -p "$first" -d 1 -o "$WORK/reuse-$reuse.spytop" ;;
top) set -- -p "$first" --batch --iterations 1 --delay 0.5 ;;
esac
# The last run's files must not count: the shell truncates them only once
# the new child runs.
rm -f "$WORK/spy.out" "$WORK/spy.err"
SPYTOP_FAULT_ATTACH_DELAY_MS=2500 "$SPYTOP" "$@" >"$WORK/spy.out" 2>"$WORK/spy.err" &
spy=$!
# spytop has looked the process up once it says it waits to attach.
i=0
until grep -q 'fault injection: waiting' "$WORK/spy.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 3000 ] && break
    sleep 0.01
done
second=none
if [ "$reuse" = reuse ]; then
    kill "$first"
    wait "$first"
    echo $((first - 1)) >/proc/sys/kernel/ns_last_pid
    sleep 300 &
    second=$!
fi
status=0
wait "$spy" || status=$?
echo "first=$first second=$second status=$status"
victim=$first
[ "$reuse" = reuse ] && victim=$second
echo "tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$victim/status)"
echo "state=$(sed -e 's/.*) //' -e 's/ .*//' /proc/$victim/stat)"
INNER

for mode in dump record top; do
    for reuse in keep reuse; do
        WORK=$WORK SPYTOP=$SPYTOP unshare --pid --fork --mount-proc sh "$WORK/inner.sh" "$mode" "$reuse" \
            >"$WORK/result" 2>&1 || fail "$mode $reuse: the namespace script failed: $(cat "$WORK/result")"
        note "$mode $reuse: $(tr '\n' ' ' <"$WORK/result")"
        assert_grep '^tracer=0$' "$WORK/result" "$mode $reuse: the process is left traced"
        assert_grep '^state=S$' "$WORK/result" "$mode $reuse: the process is not left as it was"
        if [ "$reuse" = keep ]; then
            # The control: the delay alone changes nothing.
            assert_grep 'status=0$' "$WORK/result" "$mode: the delayed attach failed: $(cat "$WORK/spy.err")"
            continue
        fi
        grep -Eq '^first=([0-9]+) second=\1 ' "$WORK/result" ||
            skip "the namespace did not hand out the freed PID again: $(cat "$WORK/result")"
        assert_grep 'status=2$' "$WORK/result" "$mode: a reused PID was not refused"
        assert_grep "^spytop: PID [0-9]+ exited while spytop was attaching and its PID now names another process" \
            "$WORK/spy.err"
        [ -s "$WORK/spy.out" ] && fail "$mode: output about a stranger: $(cat "$WORK/spy.out")"
        [ "$mode" = record ] && [ -e "$WORK/reuse-reuse.spytop" ] &&
            fail "record: a recording of the stranger was written"
    done
done
exit 0
