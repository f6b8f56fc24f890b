#!/bin/sh
# dump --json is valid JSON with the documented fields, frames innermost
# first, and agrees with the text dump.
. "$(dirname "$0")/lib.sh"
require_ptrace
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

start_target threads "$TARGETS/threads"
pid=$TARGET_PID
dump "$pid" --json
[ "$DUMP_STATUS" = 0 ] || fail "dump --json exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
python3 - "$WORK/dump.out" "$pid" <<'PY' || fail "JSON check failed: $(head -c 2000 "$WORK/dump.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
assert doc["pid"] == pid, doc["pid"]
assert doc["exe"].endswith("/threads"), doc["exe"]
threads = doc["threads"]
assert len(threads) == 5, len(threads)
names = {t["name"]: t for t in threads}
for name in ("alpha", "beta", "gamma", "delta"):
    t = names[name]
    assert t["status"] == "ok", t
    fns = [f["function"] for f in t["frames"]]
    assert fns[0] is not None, fns
    assert "worker_" + name in fns, fns
    assert fns.index("worker_" + name) < fns.index("start_thread"), fns
    for f in t["frames"]:
        assert f["address"].startswith("0x")
        assert set(f) >= {"address", "function", "offset", "file", "line", "module", "inlined"}, f
main = [t for t in threads if t["tid"] == pid][0]
assert main["state"] in ("sleeping", "running"), main
assert any(f["function"] == "main" and f["file"].endswith("threads.c") and f["line"] > 0
           for f in main["frames"]), main["frames"]
PY
assert_untouched "$pid"

# Names with control characters are escaped, not passed through (a thread
# may only rename itself: the chain target takes its name as an argument).
start_target hostile "$TARGETS/chain" sleep "$(printf 'x\033]0;owned\007y')"
pid=$TARGET_PID
dump "$pid" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any("\x1b" in t["name"] for t in d["threads"])' "$WORK/dump.out" ||
    fail "JSON lost or mangled an escaped name"
if grep -q "$(printf '\033')" "$WORK/dump.out"; then fail "raw ESC in JSON output"; fi
dump "$pid"
if grep -q "$(printf '\033')" "$WORK/dump.out"; then fail "raw ESC in text output"; fi
assert_grep 'x\\x1b\]0;owned\\x07y' "$WORK/dump.out"
assert_untouched "$pid"
exit 0
