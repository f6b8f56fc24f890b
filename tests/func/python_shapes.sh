#!/bin/sh
# The stacks a Python sampler must get right, on every CPython here (pyenv's
# 3.8 - 3.13, /usr/bin/python3, and Debian's 3.13 - 3.15 in the Debian root
# when it is there): tests/targets/pyshapes.py runs one shape per thread,
# and one dump must show each with its functions, files and lines in call
# order: 1000-deep recursion, a generator resumed by its consumer, a
# coroutine awaited by another under asyncio, a Python key function that
# C code (sorted) calls back, and functions whose names are not ASCII
# (2-, 3- and 4-byte characters) or 1000 characters long. The dumps keep
# every native frame (--native), so that the placement of the merge shows:
# every thread's outermost frame stays the native one that started it,
# Python frames are merged in place, not hung below it. The target is left
# untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

specs="$(py_host_specs) $(py_distro_specs)"
[ -n "$(echo $specs)" ] || skip "no CPython 3.8 or later here"

src=$TESTS_SRCDIR/targets/pyshapes.py
line_of() { grep -n "# line: $1\$" "$src" | cut -d: -f1; }
l_spin=$(line_of "spin body")
l_rcall=$(line_of "recurse call")
l_rbottom=$(line_of "recurse bottom")
l_gen=$(line_of "gen body")
l_consumer=$(line_of "gen consumer")
l_inner=$(line_of "coro inner")
l_outer=$(line_of "coro outer")
l_run_coro=$(grep -n '^    asyncio.run(outer_coro' "$src" | cut -d: -f1)
l_key=$(line_of "sort key")
l_sort=$(line_of "sort call")
l_nonascii=$(line_of "non-ascii body")
l_longcall=$(line_of "long name call")
# The 1000-character name: U+1D4C5, 998 "n", U+00E9, in UTF-8.
long_name=$(printf '\360\235\223\205%0998d\303\251' 0 | sed 's/0/n/g')

# check_thread NAME EXPECTED: the Python frames ("name:line", innermost
# first) of the thread holding NAME begin with EXPECTED (spaces between),
# after an optional spin frame; its outermost frame is native. Prints what
# is wrong, nothing when right.
check_thread() {
    py_thread_with "$1" "$WORK/dump.out" >"$WORK/thread"
    [ -s "$WORK/thread" ] || {
        echo "no thread in $1"
        return
    }
    py_frames "$WORK/thread" | sed "1{/^spin:$l_spin\$/d}" >"$WORK/pyframes"
    want=$(echo "$2" | tr ' ' '\n')
    got=$(head -n "$(echo "$want" | wc -l)" "$WORK/pyframes")
    [ "$got" = "$want" ] || {
        echo "$1's thread: Python frames $(head -c 600 "$WORK/pyframes" | tr '\n' ' '), want $2 ..."
        return
    }
    if [ "${3:-}" != python-outermost-ok ] && tail -n 1 "$WORK/thread" | grep -q '(Python)'; then
        echo "$1's thread: Python frames hang below the native ones"
    fi
}

# check_shape SHAPE: prints what is wrong with SHAPE's thread in the dump.
check_shape() {
    case $1 in
    recurse)
        # 1000 calls deep: the bottom, then 999 callers at the call line
        # (before 3.11 each Python call is several C frames: the native
        # unwind stops at its depth cap long before the thread's start).
        local outer=""
        case $version in 3.8 | 3.9 | 3.10) outer=python-outermost-ok ;; esac
        check_thread recurse "recurse:$l_rbottom recurse:$l_rcall" $outer
        n=$(grep -c "^recurse:$l_rcall\$" "$WORK/pyframes")
        [ "$n" = 999 ] || echo "recursion: $n frames at recurse:$l_rcall, want 999"
        ;;
    gen) check_thread consume_gen "gen_values:$l_gen consume_gen:$l_consumer" ;;
    coro)
        check_thread outer_coro "inner_coro:$l_inner outer_coro:$l_outer"
        grep -q "^run_coro:$l_run_coro\$" "$WORK/pyframes" || echo "coroutine: no run_coro under asyncio"
        ;;
    sortkey) check_thread sort_with_key "slow_key:$l_key sort_with_key:$l_sort" ;;
    names) check_thread größe_λ_函数 "größe_λ_函数:$l_nonascii $long_name:$l_longcall" ;;
    esac
}

for spec in $specs; do
    version=$(py_version "$spec")
    script=$(py_script "$spec" "$src")
    note "CPython $version: $spec"
    start_target "shapes$version" py_exec "$spec" "$script"
    pid=$TARGET_PID
    # Each thread spins at its shape's line nearly all the time; a dump may
    # catch one between two calls: each shape must show right in one of
    # the dumps.
    left="recurse gen coro sortkey names"
    tries=0
    while [ -n "$left" ]; do
        dump "$pid" --native
        [ "$DUMP_STATUS" = 0 ] || [ "$DUMP_STATUS" = 1 ] ||
            fail "$version: dump exited $DUMP_STATUS: $(cat "$WORK/dump.err")"
        still=""
        for shape in $left; do
            check_shape "$shape" >"$WORK/wrong.$shape"
            [ -s "$WORK/wrong.$shape" ] && still="$still $shape"
        done
        left=$still
        tries=$((tries + 1))
        [ -z "$left" ] || [ $tries -lt 15 ] ||
            fail "$version ($spec): $(for s in $left; do cat "$WORK/wrong.$s"; done); the dump: $(head -c 6000 "$WORK/dump.out")"
    done
    note "$version: every shape right, $tries dumps"
    assert_grep "^Process $pid: .*\\(6 threads, CPython $version" "$WORK/dump.out"
    assert_untouched "$pid"
    kill "$pid"
done
exit 0
