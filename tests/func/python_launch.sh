#!/bin/sh
# spytop -- python3 script.py: Python frames from the script's first code
# on, although spytop attaches before the exec, when there is no runtime
# yet (and a shared libpython is not even mapped). Directly on every CPython
# found here, through a shell script that execs the interpreter, through a
# pyenv shim (bash, then pyenv, then python) and from a venv with -m. The
# command ends with spytop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

script=$TESTS_SRCDIR/targets/pyratio.py

pythons=""
for p in /usr/bin/python3 ${PYENV_ROOT:-/root/.pyenv}/versions/3.*/bin/python3; do
    [ -x "$p" ] || continue
    v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
    case "$v" in
    3.8 | 3.9 | 3.10 | 3.11 | 3.12 | 3.13) py_wanted "$v" && pythons="$pythons $p" ;;
    esac
done
[ -n "$pythons" ] || skip "no CPython 3.8 - 3.13 installed"

# launched NAME VERSION COMMAND...: spytop --batch runs COMMAND (pyratio in
# its ratio mode) for 4 s; its table must show the script's functions, read
# from CPython VERSION, and the command must be gone afterwards.
launched() {
    local name=$1 version=$2
    shift 2
    # The run's end ends the command (SIGTERM): a normal end, exit 0.
    local status=0
    "$SPYTOP" --batch -r 200 --iterations 1 --delay 4 --window 60 --rows 30 -- "$@" >"$WORK/$name" 2>&1 || status=$?
    [ "$status" = 0 ] || fail "$name: spytop exited $status, not 0: $(cat "$WORK/$name")"
    assert_grep "CPython $version" "$WORK/$name" "$name: no CPython $version"
    assert_no_grep "Python frames not shown" "$WORK/$name" "$name: Python frames not shown"
    own=$(pct_of ratio_hot "$WORK/$name")
    awk -v v="$own" 'BEGIN { exit !(v != "" && v > 40) }' ||
        fail "$name: ratio_hot has '$own' % own time: $(cat "$WORK/$name")"
    assert_grep 'ratio_warm +targets/pyratio\.py' "$WORK/$name" "$name: no ratio_warm"
    pid=$(sed -n 's/^spytop [^:]*: PID \([0-9]*\) .*/\1/p' "$WORK/$name")
    [ -n "$pid" ] || fail "$name: no PID in the header: $(cat "$WORK/$name")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        fail "$name: the command (PID $pid) still runs after spytop"
    fi
    note "$name: ratio_hot $own % own"
}

for py in $pythons; do
    version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    launched "direct-$version" "$version" "$py" "$script" ratio
done

# A shell script that execs the interpreter (as launchers do).
py=$(echo $pythons | cut -d' ' -f1)
version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
printf '#!/bin/sh\nexec "%s" "$@"\n' "$py" >"$WORK/wrapper.sh"
chmod +x "$WORK/wrapper.sh"
launched shell-wrapper "$version" "$WORK/wrapper.sh" "$script" ratio

# A pyenv shim: bash, pyenv's bash scripts, then the interpreter.
shim=${PYENV_ROOT:-/root/.pyenv}/shims/python3.11
if [ -x "$shim" ] && "$shim" -c '' 2>/dev/null; then
    launched pyenv-shim 3.11 "$shim" "$script" ratio
else
    note "no pyenv shim python3.11 that runs: the shim case is not tested"
fi

# A venv's python with -m.
for py in $pythons; do
    case $py in */.pyenv/*) ;; *) continue ;; esac
    version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    "$py" -m venv --without-pip "$WORK/venv" >"$WORK/venv.out" 2>&1 ||
        fail "venv of $py: $(cat "$WORK/venv.out")"
    PYTHONPATH=$TESTS_SRCDIR/targets
    export PYTHONPATH
    launched "venv-$version" "$version" "$WORK/venv/bin/python" -m pyratio ratio
    unset PYTHONPATH
    break
done
exit 0
