# Helpers for the Python tests, sourced after lib.sh: which CPythons this
# machine has, and running one. An interpreter is named by a spec: a path
# on this machine (pyenv's, /usr/bin/python3), or chroot:python3.X for
# Debian's own build in the Debian root scripts/pythons.sh makes
# (SPYTOP_PYTHONS_ROOT), run through chroot: a container-like target that
# spytop reads through /proc/PID/root.

PY_ROOT=${SPYTOP_PYTHONS_ROOT:-/var/cache/spytop/sid-pythons}
PY_IN_ROOT=/tmp/spytop-$TEST_NAME-$$ # where scripts go inside the root

py_cleanup() {
    [ -d "$PY_ROOT$PY_IN_ROOT" ] && rm -rf "${PY_ROOT:?}$PY_IN_ROOT"
    tmux_cleanup
}
trap py_cleanup EXIT

# py_exec SPEC ARGS...: replaces the current (sub)shell with the
# interpreter: use it in the background (start_target NAME py_exec ...)
# or in $(...), so that the PID is the interpreter's.
py_exec() {
    local spec=$1
    shift
    case $spec in
    chroot:*) exec chroot "$PY_ROOT" "/usr/bin/${spec#chroot:}" "$@" ;;
    *) exec "$spec" "$@" ;;
    esac
}

# py_version SPEC: "3.X" of the interpreter, empty when it does not run.
py_version() {
    (py_exec "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])') 2>/dev/null
}

# py_script SPEC FILE: FILE's path as the interpreter sees it (copied into
# the root for a chroot: spec).
py_script() {
    case $1 in
    chroot:*)
        mkdir -p "$PY_ROOT$PY_IN_ROOT"
        cp "$2" "$PY_ROOT$PY_IN_ROOT/" || fail "cannot copy $2 into $PY_ROOT"
        echo "$PY_IN_ROOT/$(basename "$2")"
        ;;
    *) echo "$2" ;;
    esac
}

# py_wanted VERSION: whether this run tests that CPython version; all,
# unless SPYTOP_TEST_PYTHONS lists some ("3.8 3.11 3.14": the sanitizer
# build, scripts/check.sh, tries one of each frame layout; the normal
# build every one).
py_wanted() {
    [ -z "${SPYTOP_TEST_PYTHONS:-}" ] && return 0
    case " $SPYTOP_TEST_PYTHONS " in *" $1 "*) return 0 ;; esac
    return 1
}

# py_host_specs: this machine's CPython 3.8 and later (/usr/bin/python3
# and pyenv's), one spec a line.
py_host_specs() {
    local p v
    for p in /usr/bin/python3 "${PYENV_ROOT:-/root/.pyenv}"/versions/3.*/bin/python3; do
        [ -x "$p" ] || continue
        v=$(py_version "$p")
        case $v in
        3.[0-7] | "") note "skipping $p: CPython ${v:-?} is older than 3.8" >&2 ;;
        *) py_wanted "$v" && echo "$p" ;;
        esac
    done
}

# py_distro_specs: Debian's python3.13, 3.14 and 3.15 in the Debian root,
# when it is there and this test may chroot; nothing otherwise.
py_distro_specs() {
    local v
    [ -f "$PY_ROOT/.spytop-pythons" ] || return 0
    [ "$(id -u)" = 0 ] || return 0
    for v in 3.13 3.14 3.15; do
        py_wanted "$v" || continue
        [ "$(py_version "chroot:python$v")" = "$v" ] && echo "chroot:python$v"
    done
}

# py_frames FILE: the Python frames of a text dump's frame lines as
# "name:line", innermost first, one a line.
py_frames() {
    sed -n 's/^ *#[0-9]* *(Python) *\(.*\) at .*:\([0-9]*\)$/\1:\2/p' "$1"
}

# py_thread_with FUNCTION DUMP: the frame lines of the dump's thread whose
# frames hold the Python function FUNCTION.
py_thread_with() {
    awk -v f="\\\\(Python\\\\) +$1 at " '
        /^Thread / { if (found) exit; n = 0; next }
        /^  #/ { lines[n++] = $0; if ($0 ~ f) found = 1 }
        /^$/ { if (found) exit }
        END { if (found) for (i = 0; i < n; i++) print lines[i] }' "$2"
}

# misaligned_count BATCH_OUTPUT: the samples --batch reported as not lined
# up (0 when it reports none).
misaligned_count() {
    sed -n -e 's/.*, \([0-9][0-9]*\) samples whose Python and native frames did not line up.*/\1/p' \
        -e 's/.* \([0-9][0-9]*\) misaligned.*/\1/p' "$1" | awk '{ n += $1 } END { print n + 0 }'
}

# live_samples PID SECONDS: --batch over SECONDS into $WORK/live. +-3
# points needs some 3000 samples of the busy thread (a standard deviation
# of 0.8 point): a busy machine that gives the target too little CPU for
# that gets one run twice as long.
live_samples() {
    "$SPYTOP" -p "$1" --batch -r 400 --window 60 --iterations 1 --delay "$2" --rows 40 >"$WORK/live" 2>&1 ||
        fail "$version: --batch exited $?"
    active=$(sed -n 's/^Window: [0-9]* s, \([0-9]*\) thread samples (\([0-9]*\) idle.*/\1 \2/p' "$WORK/live" |
        awk '{ print $1 - $2 }')
    if [ "${active:-0}" -lt 3000 ] && [ "$2" -lt 24 ]; then
        note "CPython $version: $active busy samples in $2 s, measuring again for $(($2 * 2)) s"
        live_samples "$1" $(($2 * 2))
    fi
}
