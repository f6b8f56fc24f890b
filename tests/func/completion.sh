#!/bin/sh
# The bash completion offers the commands, each command's options (every
# option --help lists, somewhere), option values, process ids with their
# names, a target's thread ids, recordings, and commands after "--".
. "$(dirname "$0")/lib.sh"
command -v bash >/dev/null || skip "no bash"
script=$TESTS_SRCDIR/../completion/spytop
[ -f "$script" ] || fail "no completion script at $script"

# complete LINE: what completing LINE offers, one candidate a line. LINE
# ending in a space completes a new, empty word. With BASH_COMPLETION set,
# bash-completion's own helpers are loaded first, as in a login shell.
complete_line() {
    bash -c '
        compopt() { :; } # works only under a real completion
        [ -n "${BASH_COMPLETION-}" ] && . "$BASH_COMPLETION"
        . "$1"
        read -ra COMP_WORDS <<<"$2"
        case $2 in *" ") COMP_WORDS+=("") ;; esac
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$2 COMP_POINT=${#2}
        _spytop
        [ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"
    ' complete "$script" "$1"
}

# expect LINE WORD...: completing LINE offers each WORD (a whole line).
expect() {
    line=$1
    shift
    complete_line "$line" >"$WORK/offered" 2>"$WORK/err" || fail "completing '$line' failed: $(cat "$WORK/err")"
    [ -s "$WORK/err" ] && fail "completing '$line' printed errors: $(cat "$WORK/err")"
    for word in "$@"; do
        grep -qxF -- "$word" "$WORK/offered" ||
            fail "completing '$line' does not offer '$word': $(head -c 1000 "$WORK/offered")"
    done
}

# expect_only LINE WORD...: exactly these.
expect_only() {
    expect "$@"
    shift
    [ "$(wc -l <"$WORK/offered")" = $# ] || fail "completing '$line' offers more: $(cat "$WORK/offered")"
}

bash -n "$script" || fail "bash -n: syntax error"
expect_only "spytop " top dump record view report help
expect_only "spytop re" record report
expect "spytop -" --pid --rate --batch --version
expect_only "spytop dump --j" --json
expect "spytop record --" --output --force --duration --format --full-filenames --by-line
expect_only "spytop record -p 1 -f s" spytop speedscope svg
expect "spytop report --f" --format --force --from
expect_only "spytop --sort own" own owntime
expect_only "spytop report x.spytop -f s" speedscope svg
expect_only "spytop report x.spytop -f ch" chrome chrometrace
expect_only "spytop report x.spytop --format g" gecko
expect_only "spytop --window " 1 5 10 30 60

# Every option of --help is offered by at least one command.
for command in top dump record view report; do
    complete_line "spytop $command -"
done | sort -u >"$WORK/all"
"$SPYTOP" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$WORK/options"
while read -r opt; do
    grep -qxF -- "$opt" "$WORK/all" || fail "option $opt of --help is not completed for any command"
done <"$WORK/options"

# Process ids with their names; a unique one alone, ready to use.
start_target threads "$TARGETS/threads"
pid=$TARGET_PID
expect "spytop -p " "$pid (threads)"
expect_only "spytop dump -p $pid" "$pid"
expect_only "spytop --pid = $pid" "$pid" # bash splits --pid=N at the "="
# Its thread ids, after -p.
ls /proc/"$pid"/task >"$WORK/tids"
[ "$(wc -l <"$WORK/tids")" -gt 1 ] || fail "the threads target has one thread"
# shellcheck disable=SC2046 # thread ids: split on purpose
set -- $(cat "$WORK/tids")
expect "spytop -p $pid --threads " "$@"
expect "spytop -p $pid --threads $1," "$1,$2"

# Recordings for view and report; nothing after the file.
mkdir "$WORK/recs"
: >"$WORK/recs/a.spytop"
: >"$WORK/recs/b.txt"
expect_only "spytop view $WORK/recs/" "$WORK/recs/a.spytop"
expect_only "spytop report $WORK/recs/a.spytop "
# --pid of view and report is a process of the recording: no live ones.
expect "spytop report $WORK/recs/a.spytop --p" --pid
expect_only "spytop report $WORK/recs/a.spytop --pid "
expect_only "spytop view $WORK/recs/a.spytop -p "

# After "--": a command name.
expect "spytop -- ech" echo
expect "spytop record -- ech" echo
if [ -f /usr/share/bash-completion/bash_completion ]; then
    export BASH_COMPLETION=/usr/share/bash-completion/bash_completion
    expect "spytop -- ech" echo
    expect "spytop -p " "$pid (threads)"
    expect_only "spytop dump --j" --json
else
    note "bash-completion is not installed: checked without its helpers only"
fi
exit 0
