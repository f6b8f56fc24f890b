#!/bin/sh
# dump --tasks on Debian's python3.14 and 3.15 (the root scripts/pythons.sh
# makes; 3.14's _asyncio is an extension module, 3.15's is built in): the
# named tasks of tests/targets/pytasks.py awaiting each other through
# TaskGroup, gather and wait_for, plus one CPU-hot coroutine that never
# yields (so the graph holds still), a second thread's event loop and a
# task left behind by a thread that exited, agree with what CPython's own
# `python3.X -m asyncio pstree PID`, run in the same root on the same
# process, draws: the same tree of task names, coroutine functions with
# their files and lines, and awaiters. (3.14's pstree walks the thread
# states from the main one on, which is the last: it sees the main
# thread's tasks and the exited threads' only, and so is compared on
# those; the second loop's tasks are checked in the JSON.) The JSON is parsed and checked;
# hostile names (10 KB, non-ASCII, escape sequences) come out cut,
# whole and escaped. A CPython before 3.14 (pyenv's 3.12) gets the clear
# "needs 3.14" message with exit status 1 and the normal dump; a 3.14 that
# never imported asyncio says so with exit status 0. --async puts the hot
# coroutine's time under the tasks awaiting it (dump and --batch, no
# sample misaligned). Every target is left untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

src=$TESTS_SRCDIR/targets/pytasks.py
specs=$(py_distro_specs | grep -e 'python3\.1[4-9]' -e 'python3\.[2-9][0-9]')
[ -n "$specs" ] || skip "no Debian CPython 3.14 or later in $PY_ROOT (scripts/pythons.sh makes it)"

# pstree reads /proc/PID/maps and the binaries the paths there name: it
# runs in the target's own root and mount namespace (nsenter), where
# /proc is bound (a private mount namespace: nothing leaks to the host).
pstree_ok=no
if command -v unshare >/dev/null && command -v nsenter >/dev/null &&
    unshare --mount sh -c "mount --bind /proc '$PY_ROOT/proc'" 2>/dev/null; then
    pstree_ok=yes
else
    note "unshare --mount or nsenter not usable here: no comparison with asyncio pstree"
fi

# start_tasks SPEC MODE: the target in the root, in its own mount
# namespace with /proc (when possible); TARGET_PID is the interpreter's.
start_tasks() {
    if [ "$pstree_ok" = yes ]; then
        start_target "tasks-$2" unshare --mount sh -c 'mount --bind /proc "$1/proc" && exec chroot "$1" "$2" "$3" "$4"' \
            sh "$PY_ROOT" "/usr/bin/${1#chroot:}" "$script" "$2"
    else
        start_target "tasks-$2" py_exec "$1" "$script" "$2"
    fi
}

# tree_paths: reads asyncio pstree's drawing on stdin, prints every node
# as the path of labels from its root (" / " between them), sorted.
# tree_of_json FILE: the same from a spytop --json dump, drawn the way
# asyncio.tools builds its tree: an awaiter's coroutine stack (outermost
# first) leads to the task it awaits; a task no one awaits is a root; a
# task that awaits no task ends with its own stack.
cat >"$WORK/trees.py" <<'PYEOF'
import json, sys

def from_pstree(lines):
    paths, stack = [], []
    for line in lines:
        line = line.rstrip("\n")
        cols = [line.find(m) for m in ("\u2514\u2500\u2500 ", "\u251c\u2500\u2500 ") if line.find(m) >= 0]
        if not cols:
            continue
        col = min(cols)
        depth = col // 4
        label = line[col + 4:]
        label = label[4:] if label.startswith("(T) ") else "c:" + label.strip()
        if label[:2] != "c:":
            label = "T:" + label
        del stack[depth:]
        stack.append(label)
        paths.append(" / ".join(stack))
    return sorted(paths)

def from_json(path, only_tid):
    d = json.load(open(path))
    tasks = {}
    lists = [t["asyncio"] for t in d["threads"] if not only_tid or t["tid"] == only_tid]
    for a in lists + [d["exited_threads_asyncio"]]:
        if a:
            for task in a["tasks"]:
                tasks[task["id"]] = task
    def fmt(f):
        return "c:%s %s:%d" % (f["function"], f["file"], f["line"])
    children = {}
    def add(parent, child):
        children.setdefault(parent, [])
        if child not in children[parent]:
            children[parent].append(child)
    awaiting = set()
    for tid, task in tasks.items():
        for parent in task["awaited_by"]:
            awaiting.add(parent)
            cur = ("T", parent)
            for f in reversed(tasks[parent]["frames"]):
                node = ("c", cur, fmt(f))
                add(cur, node)
                cur = node
            add(cur, ("T", tid))
    for tid, task in tasks.items():
        if tid not in awaiting:
            cur = ("T", tid)
            for f in reversed(task["frames"]):
                node = ("c", cur, fmt(f))
                add(cur, node)
                cur = node
    def label(n):
        return "T:" + tasks[n[1]]["name"] if n[0] == "T" else n[2]
    paths = []
    def walk(n, prefix):
        p = prefix + [label(n)]
        paths.append(" / ".join(p))
        for c in children.get(n, []):
            walk(c, p)
    for tid, task in tasks.items():
        if not task["awaited_by"]:
            walk(("T", tid), [])
    return sorted(paths)

if sys.argv[1] == "pstree":
    print("\n".join(from_pstree(open(sys.argv[2], encoding="utf-8"))))
else:
    print("\n".join(from_json(sys.argv[2], int(sys.argv[3]))))
PYEOF

for spec in $specs; do
    version=$(py_version "$spec")
    script=$(py_script "$spec" "$src")
    note "CPython $version: $spec"

    # ---- the graph, against asyncio pstree ----
    start_tasks "$spec" graph
    pid=$TARGET_PID
    for _ in 1 2 3; do
        dump "$pid" --tasks
        [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --tasks exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
        assert_untouched "$pid"
    done
    cp "$WORK/dump.out" "$WORK/graph.txt"
    assert_grep '^  asyncio: event loop running, 8 tasks$' "$WORK/graph.txt"
    assert_grep '^  asyncio: event loop running, 2 tasks$' "$WORK/graph.txt"
    assert_grep '^asyncio tasks of threads that exited: 1$' "$WORK/graph.txt"
    assert_grep '^  Task "orphan" 0x[0-9a-f]+$' "$WORK/graph.txt"
    assert_grep '^  Task "hot" 0x[0-9a-f]+ \[running\]$' "$WORK/graph.txt"
    assert_grep '^  Task "gathered-1" 0x[0-9a-f]+$' "$WORK/graph.txt"
    assert_grep '^    awaited by "gatherer" 0x[0-9a-f]+$' "$WORK/graph.txt"
    assert_grep '^    awaited by "waiter" 0x[0-9a-f]+$' "$WORK/graph.txt"
    assert_grep '^    #1   \(Python\) +leaf at .*/pytasks\.py:[0-9]+$' "$WORK/graph.txt"
    assert_no_grep '^Tasks' "$WORK/graph.txt"
    # The thread's own stack still comes first: the hot coroutine's spin.
    assert_grep '^  #0   \(Python\) +spin at ' "$WORK/graph.txt"

    dump "$pid" --tasks --json
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --tasks --json exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_untouched "$pid"
    cp "$WORK/dump.out" "$WORK/graph.json"
    python3 - "$WORK/graph.json" <<'PYEOF' || fail "$version: JSON tasks: $(head -c 4000 "$WORK/graph.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tasks_problem"] is None, d["tasks_problem"]
loops = {t["python_name"]: t["asyncio"] for t in d["threads"] if t["asyncio"]}
assert sorted(loops) == ["MainThread", "side-loop"], loops
a = loops["MainThread"]
assert a["loop_running"] and not a["cut"], a
# The second thread's loop: its main task awaiting "side-task".
side = {t["name"]: t for t in loops["side-loop"]["tasks"]}
assert loops["side-loop"]["loop_running"] and len(side) == 2, side
assert "side-task" in side, side
(outer,) = [t for n, t in side.items() if n != "side-task"]
assert [f["function"] for f in outer["frames"]] == ["side_main"], outer
assert side["side-task"]["awaited_by"] == [outer["id"]], side
assert [f["function"] for f in side["side-task"]["frames"]] == ["sleep", "leaf"], side
# The exited thread's pending task, in the interpreter's list.
gone = d["exited_threads_asyncio"]
assert gone and [t["name"] for t in gone["tasks"]] == ["orphan"], gone
assert [f["function"] for f in gone["tasks"][0]["frames"]] == ["sleep", "leaf"], gone
assert gone["tasks"][0]["awaited_by"] == [] and not gone["loop_running"], gone
tasks = {t["name"]: t for t in a["tasks"]}
assert sorted(tasks) == sorted(["Task-1", "grouped", "gatherer", "waiter", "gathered-1",
                                "gathered-2", "waited-for", "hot"]), sorted(tasks)
ids = {t["id"]: n for n, t in tasks.items()}
def funcs(n):
    return [f["function"] for f in tasks[n]["frames"]]
def awaiters(n):
    return sorted(ids[i] for i in tasks[n]["awaited_by"])
assert funcs("Task-1") == ["TaskGroup._aexit", "TaskGroup.__aexit__", "main"], funcs("Task-1")
assert funcs("grouped") == ["sleep", "leaf", "grouped"], funcs("grouped")
assert funcs("gatherer") == ["gatherer"], funcs("gatherer")
assert funcs("waiter") == ["wait_for", "waiter"], funcs("waiter")
for n in ("gathered-1", "gathered-2", "waited-for"):
    assert funcs(n) == ["sleep", "leaf"], (n, funcs(n))
assert funcs("hot") == ["hot"], funcs("hot")
assert awaiters("Task-1") == []
for n in ("grouped", "gatherer", "waiter", "hot"):
    assert awaiters(n) == ["Task-1"], (n, awaiters(n))
assert awaiters("gathered-1") == awaiters("gathered-2") == ["gatherer"]
assert awaiters("waited-for") == ["waiter"]
assert [n for n, t in tasks.items() if t["running"]] == ["hot"]
for t in tasks.values():
    assert not t["name_cut"] and t["name_length"] == len(t["name"]), t
    assert not t["frames_cut"] and not t["awaited_by_cut"], t
    for f in t["frames"]:
        assert f["file"].endswith(".py") and f["line"] > 0, f
PYEOF

    if [ "$pstree_ok" = yes ]; then
        nsenter -t "$pid" -m -r "/usr/bin/${spec#chroot:}" -m asyncio pstree "$pid" >"$WORK/pstree" 2>"$WORK/pstree.err" ||
            fail "$version: asyncio pstree failed: $(cat "$WORK/pstree.err")"
        assert_untouched "$pid"
        python3 "$WORK/trees.py" pstree "$WORK/pstree" >"$WORK/pstree.paths"
        only=0
        [ "$version" = 3.14 ] && only=$pid
        python3 "$WORK/trees.py" json "$WORK/graph.json" "$only" >"$WORK/spytop.paths"
        [ "$(wc -l <"$WORK/pstree.paths")" -ge 20 ] || fail "$version: pstree drew too little: $(cat "$WORK/pstree")"
        diff "$WORK/pstree.paths" "$WORK/spytop.paths" >"$WORK/paths.diff" ||
            fail "$version: dump --tasks and asyncio pstree disagree (< pstree, > spytop):
$(cat "$WORK/paths.diff")
pstree:
$(cat "$WORK/pstree")"
    fi

    # ---- --async: the hot coroutine's time under the tasks awaiting it ----
    dump "$pid" --async
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --async exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_untouched "$pid"
    order=$(frames_of_thread "$pid" "$WORK/dump.out" | sed -n 's/^ *#[0-9]* *(Python) *\([^ ]*\) at .*/\1/p' | tr '\n' ' ')
    case "$order" in
    "spin hot TaskGroup._aexit TaskGroup.__aexit__ main Handle._run "*) ;;
    *) fail "$version: dump --async: the main thread's Python frames: $order" ;;
    esac
    "$SPYTOP" -p "$pid" --batch --async --iterations 1 --delay 2 --rows 40 >"$WORK/async" 2>&1 ||
        fail "$version: --batch --async exited $?: $(cat "$WORK/async")"
    assert_untouched "$pid"
    [ "$(misaligned_count "$WORK/async")" = 0 ] || fail "$version: --async misaligned samples: $(cat "$WORK/async")"
    for f in main TaskGroup._aexit hot; do
        assert_near "$(total_of "$f" "$WORK/async")" 100 5 "$version: --async: %Total of $f"
    done
    "$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1 --rows 40 >"$WORK/noasync" 2>&1 ||
        fail "$version: --batch exited $?"
    [ -z "$(total_of main "$WORK/noasync")" ] || fail "$version: main shows without --async: $(cat "$WORK/noasync")"
    assert_untouched "$pid"
    # The live view's a key turns --async on and off.
    tmux_start 120 40 "$SPYTOP" -p "$pid"
    tmux_wait_for ' hot '
    tmux_keys 2
    tmux_wait_for '%Total\*'
    assert_no_grep 'TaskGroup\._aexit' "$WORK/screen"
    tmux_keys a
    tmux_wait_for '  async  idle'
    tmux_wait_for ' TaskGroup\._aexit '
    tmux_keys a
    tmux_wait_for 'all threads  idle excluded'
    tmux_quit "$version: the live view with the a key"
    assert_untouched "$pid"
    kill "$pid"

    # ---- hostile names ----
    start_tasks "$spec" hostile
    pid=$TARGET_PID
    dump "$pid" --tasks
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --tasks (hostile) exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_untouched "$pid"
    assert_grep "^  Task \"$(printf '%0200d' 0 | tr 0 x)\"\\.\\.\\. \\(a name of 10240 characters\\) 0x" "$WORK/dump.out"
    assert_grep '^  Task "esc\\x1b\[31mred\\u\{009b\}" 0x' "$WORK/dump.out"
    LC_ALL=C.UTF-8 grep -q "^  Task \"t$(printf '\303\242')che-" "$WORK/dump.out" || fail "$version: the non-ASCII name: $(grep Task "$WORK/dump.out")"
    if LC_ALL=C grep -q "$(printf '\033')" "$WORK/dump.out"; then fail "$version: a raw ESC in the text dump"; fi
    dump "$pid" --tasks --json
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --tasks --json (hostile) exited $DUMP_STATUS"
    assert_untouched "$pid"
    python3 - "$WORK/dump.out" <<'PYEOF' || fail "$version: JSON hostile names: $(head -c 3000 "$WORK/dump.out")"
import json, sys
d = json.load(open(sys.argv[1]))
tasks = [t for th in d["threads"] if th["python_name"] == "MainThread" for t in th["asyncio"]["tasks"]]
by = {t["name"]: t for t in tasks}
assert len(tasks) == 11, [t["name"][:20] for t in tasks]
long = by["x" * 200]
assert long["name_cut"] and long["name_length"] == 10240, long
uni = by["t\u00e2che-\u00fcn\u00efcode-\u2713-\u540d\u524d-\U0001f40d"]
assert not uni["name_cut"] and uni["name_length"] == 20, uni
esc = by["esc\x1b[31mred\x9b"]
assert esc["name_length"] == 12, esc
for t in (long, uni, esc):
    assert [f["function"] for f in t["frames"]] == ["sleep", "leaf"], t["frames"]
    assert len(t["awaited_by"]) == 1 and by["Task-1"]["id"] == t["awaited_by"][0], t
PYEOF
    kill "$pid"

    # ---- asyncio never imported ----
    start_target "noasync$version" py_exec "$spec" -c 'import time; print("ready", flush=True); time.sleep(600)'
    pid=$TARGET_PID
    dump "$pid" --tasks
    [ "$DUMP_STATUS" = 0 ] || fail "$version: dump --tasks without asyncio exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
    assert_untouched "$pid"
    case $version in
    3.14) assert_grep '^Tasks: asyncio not imported' "$WORK/dump.out" ;;
    *) assert_grep '^Tasks: (asyncio not imported|none \(no thread runs an asyncio event loop)' "$WORK/dump.out" ;;
    esac
    assert_grep '^Thread ' "$WORK/dump.out"
    kill "$pid"
done

# ---- before 3.14: said clearly, the normal dump still printed ----
old=""
for p in "${PYENV_ROOT:-/root/.pyenv}"/versions/3.1[0-3]*/bin/python3; do
    [ -x "$p" ] && [ "$(py_version "$p")" = 3.12 ] && old=$p
done
if [ -n "$old" ]; then
    start_target old py_exec "$old" "$src" plain
    pid=$TARGET_PID
    dump "$pid" --tasks
    [ "$DUMP_STATUS" = 1 ] || fail "3.12: dump --tasks exited $DUMP_STATUS, want 1"
    assert_untouched "$pid"
    assert_grep '^spytop: asyncio tasks need CPython 3\.14 or newer \(this is CPython 3\.12\.[0-9]+\)$' "$WORK/dump.err"
    assert_grep '^Tasks not shown: asyncio tasks need CPython 3\.14 or newer' "$WORK/dump.out"
    assert_grep '^  #[0-9]+ +\(Python\) +<module> at .*pytasks\.py' "$WORK/dump.out"
    dump "$pid" --async
    [ "$DUMP_STATUS" = 0 ] || fail "3.12: dump --async exited $DUMP_STATUS"
    assert_grep '^--async not applied: asyncio tasks need CPython 3\.14 or newer' "$WORK/dump.out"
    dump "$pid" --tasks --json
    [ "$DUMP_STATUS" = 1 ] || fail "3.12: dump --tasks --json exited $DUMP_STATUS, want 1"
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["tasks_problem"].startswith("asyncio tasks need CPython 3.14"), d["tasks_problem"]
assert all(t["asyncio"] is None for t in d["threads"])' "$WORK/dump.out" || fail "3.12: JSON: $(head -c 2000 "$WORK/dump.out")"
    assert_untouched "$pid"
    kill "$pid"
else
    note "no pyenv CPython 3.12: the 'needs 3.14' case is not tried"
fi

# --tasks belongs to dump, and to Python; --async to live targets.
"$SPYTOP" -p 1 --tasks >"$WORK/err.out" 2>&1 && fail "--tasks accepted without dump"
assert_grep "\\-\\-tasks goes with 'spytop dump'" "$WORK/err.out"
"$SPYTOP" dump -p 1 --tasks --no-python >"$WORK/err.out" 2>&1 && fail "--tasks accepted with --no-python"
assert_grep "\\-\\-tasks and \\-\\-no-python do not go together" "$WORK/err.out"
"$SPYTOP" -p 1 --async --no-python >"$WORK/err.out" 2>&1 && fail "--async accepted with --no-python"
assert_grep "\\-\\-async and \\-\\-no-python do not go together" "$WORK/err.out"
"$SPYTOP" report "$WORK/none.spytop" --async >"$WORK/err.out" 2>&1 && fail "--async accepted with report"
assert_grep "\\-\\-async goes with a live target" "$WORK/err.out"
exit 0
