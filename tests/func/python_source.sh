#!/bin/sh
# The source panel (s) on a Python function, what line_profiler users come
# for: the 75/25 script's ratio_hot shows its file with figures on its two
# busy lines (the loop, and the clock read that ends it) and nowhere else,
# summing to ratio_hot's share. Once on this machine's CPython, and once on Debian's in the
# Debian root through chroot (when there), whose script path exists only
# inside the target's root: read through /proc/PID/root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pylib.sh"
require_ptrace

src=$TESTS_SRCDIR/targets/pyratio.py
l_hot=$(grep -n '# line: ratio_hot body$' "$src" | cut -d: -f1)
l_while=$((l_hot - 1))
sed -n "${l_while}p" "$src" | grep -q 'while clock() < deadline:' || fail "pyratio.py changed shape"

# source_rows: the panel's rows with figures, as "OWN TOTAL LINE".
source_rows() {
    awk '/^ *[0-9]+\.[0-9] +[0-9]+\.[0-9] +[0-9]+  / {
        print substr($0, 1, 6) + 0, substr($0, 8, 6) + 0, substr($0, 15, 6) + 0
    }' "$WORK/screen"
}

# source_of SPEC: the panel for ratio_hot, the script as SPEC sees it.
source_of() {
    script=$(py_script "$1" "$src")
    start_target py py_exec "$1" "$script" ratio
    pid=$TARGET_PID
    tmux_start 80 24 "$SPYTOP" -p "$pid" -r 200
    tmux_wait_for 'ratio_warm'
    sleep 3
    tmux_keys / r a t i o _ h o t Enter
    tmux_wait_for 'filter: ratio_hot'
    tmux_keys Home s
    tmux_wait_for 'Source of ratio_hot'
    tmux_wait_for 'x \+= 1  # line: ratio_hot'
    # The file as the interpreter named it, read (no "cannot read").
    assert_grep "^ $script\$" "$WORK/screen"
    source_rows >"$WORK/rows"
    lines=$(awk '$2 >= 0.5 { print $3 }' "$WORK/rows" | sort -n | tr '\n' ' ')
    [ "$lines" = "$l_while $l_hot " ] ||
        fail "$1: figures on lines $lines, expected $l_while and $l_hot: $(cat "$WORK/screen")"
    assert_near "$(awk '{ s += $2 } END { print s }' "$WORK/rows")" 75 6 "$1: ratio_hot's lines"
    assert_near "$(awk -v l="$l_hot" '$3 == l { print $1 - $2 }' "$WORK/rows")" 0 0.1 \
        "$1: %Own and %Total of the loop's line"
    tmux_quit "spytop on $1"
    assert_untouched "$pid"
    kill "$pid"
}

host=$(py_host_specs | head -n 1)
[ -n "$host" ] || skip "no CPython 3.8 or later here"
source_of "$host"

distro=$(py_distro_specs | head -n 1)
if [ -n "$distro" ]; then
    # The premise: the path means nothing outside the target's root.
    [ -e "$(py_script "$distro" "$src")" ] && fail "the root's script path exists outside it"
    source_of "$distro"
else
    note "no Debian root with Debian's CPythons: the read through /proc/PID/root is not tried"
fi
exit 0
