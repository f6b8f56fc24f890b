#!/bin/sh
# Python thread names (threading.Thread(name=...)) on every CPython here:
# pyenv's and /usr/bin/python3, and Debian's 3.13, 3.14 and 3.15 in the
# Debian root (through chroot, read through /proc/PID/root). Checked
# against the OS thread ids the target prints for its threads: dump (text:
# beside the OS name when they differ; JSON: "python_name"), --batch's
# thread table, and a recording's report. Names that are not the second
# attribute of their Thread (a subclass that sets one first), non-ASCII
# and longer than the OS's 15 bytes are read in full. The target is left
# untouched. Versions not installed are skipped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

specs="$(py_host_specs) $(py_distro_specs)"
[ -n "$(echo $specs)" ] || skip "no CPython 3.8 or later here"
command -v python3 >/dev/null || skip "no python3 to read the JSON dump"
src=$TESTS_SRCDIR/targets/pythreads.py
long="Wärmepumpe-$(printf '%040d' 0 | tr 0 x)"

for spec in $specs; do
    version=$(py_version "$spec")
    script=$(py_script "$spec" "$src")
    note "CPython $version: $spec"
    start_target "py$version" py_exec "$spec" "$script"
    pid=$TARGET_PID
    out=$WORK/py$version.out
    tid_of() { sed -n "s/^thread \\([0-9]*\\) $1\$/\\1/p" "$out"; }
    main=$(tid_of MainThread)
    sleeper=$(tid_of sleeper)
    spinner=$(tid_of spinner)
    worker=$(tid_of "$long")
    [ "$main" = "$pid" ] && [ -n "$sleeper" ] && [ -n "$spinner" ] && [ -n "$worker" ] ||
        fail "$version: the target's threads: $(cat "$out")"

    # dump, text: each thread's Python name on its own thread's line.
    dump "$pid"
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    for pair in "$main MainThread" "$sleeper sleeper" "$spinner spinner" "$worker $long"; do
        tid=${pair%% *}
        name=${pair#* }
        line=$(grep "^Thread $tid " "$WORK/dump.out")
        case $line in
        "Thread $tid \"$name\" "* | "Thread $tid \""*"\" [Python \"$name\"] "*) ;;
        *) fail "$version: thread $tid ($name): '$line' in $(cat "$WORK/dump.out")" ;;
        esac
    done
    # Shown beside the OS name only when they differ.
    assert_no_grep '^Thread [0-9]+ "([^"]*)" \[Python "\1"\]' "$WORK/dump.out"

    # dump, JSON: python_name in full for every thread.
    dump "$pid" --json
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --json exited $DUMP_STATUS"
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
want = dict(zip(map(int, sys.argv[2::2]), sys.argv[3::2]))
got = {t["tid"]: t.get("python_name") for t in d["threads"]}
bad = {t: (n, got.get(t)) for t, n in want.items() if got.get(t) != n}
sys.exit("python_name wrong (want, got): %r" % bad if bad else 0)
' "$WORK/dump.out" "$main" MainThread "$sleeper" sleeper "$spinner" spinner "$worker" "$long" ||
        fail "$version: JSON dump: $(cat "$WORK/dump.out")"

    # --batch: the thread table names the spinning thread.
    "$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1.5 >"$WORK/batch" 2>&1 || fail "$version: --batch exited $?"
    assert_grep "^ +$spinner +[0-9]+ +[0-9.]+%  ([^ ]+ \\[spinner\\]|spinner)\$" "$WORK/batch" \
        "$version: no spinner in --batch's thread table"

    # A recording keeps the names: its report's thread table.
    "$SPYTOP" record -p "$pid" -d 2 -o "$WORK/py$pid.spytop" >/dev/null 2>"$WORK/rec.err" ||
        fail "$version: record exited $?: $(cat "$WORK/rec.err")"
    "$SPYTOP" report "$WORK/py$pid.spytop" >"$WORK/report" 2>&1 || fail "$version: report exited $?"
    assert_grep "^ +$spinner +[0-9]+ +[0-9.]+%  ([^ ]+ \\[spinner\\]|spinner)\$" "$WORK/report" \
        "$version: no spinner in the report's thread table"
    assert_grep "^ +$worker +[0-9]+ +[0-9.]+%  .*\\[$long\\]\$" "$WORK/report" \
        "$version: the worker's full name is not in the report"

    assert_untouched "$pid"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done
