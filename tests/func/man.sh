#!/bin/sh
# The man pages lint clean, carry the version, and document every option
# --help lists, every exit status, every key the live view handles, and the
# sections a user looks for.
. "$(dirname "$0")/lib.sh"
mandir=$(dirname "$SPYTOP")/man
page=$mandir/spytop.1
[ -f "$page" ] || fail "no built man page at $page"
[ -f "$mandir/spytop-record.5" ] || fail "no built man page at $mandir/spytop-record.5"

for p in "$page" "$mandir/spytop-record.5"; do
    if command -v mandoc >/dev/null; then
        mandoc -T lint -W warning "$p" >"$WORK/lint" 2>&1 || true
        [ -s "$WORK/lint" ] && fail "mandoc -T lint: $(cat "$WORK/lint")"
    fi
    if command -v groff >/dev/null; then
        # As man(1) runs it (tbl for the record format's tables), and bare.
        groff -t -man -ww -z "$p" >"$WORK/groff" 2>&1
        groff -man -ww -z "$p" >>"$WORK/groff" 2>&1
        [ -s "$WORK/groff" ] && fail "groff -ww $p: $(cat "$WORK/groff")"
    fi
done

"$SPYTOP" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$WORK/options"
[ -s "$WORK/options" ] || fail "no options in --help"
while read -r opt; do
    # The page escapes dashes: --json is written \-\-json.
    escaped=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -q -- "$escaped" "$page" || fail "option $opt is in --help but not in the man page"
done <"$WORK/options"

version=$("$SPYTOP" --version | sed -n '1s/^spytop //p')
for p in "$page" "$mandir/spytop-record.5"; do
    grep -q "spytop $version" "$p" || fail "$p does not carry version $version"
done

for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS 'EXIT STATUS' ENVIRONMENT \
    PERMISSIONS FILES EXAMPLES 'SEE ALSO'; do
    grep -q "^\.SH $section\$" "$page" || fail "no $section section in the man page"
done
for command in top dump record view report; do
    sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$page" | grep -q "^\.B $command\$" ||
        fail "command $command is not under COMMANDS"
done
for variable in NO_COLOR DEBUGINFOD_URLS; do
    sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$page" | grep -q "^\.B $variable\$" ||
        fail "$variable is not under ENVIRONMENT"
done
for word in CAP_SYS_PTRACE kernel.yama.ptrace_scope SYS_PTRACE; do
    sed -n '/^\.SH PERMISSIONS/,/^\.SH /p' "$page" | grep -q "$word" ||
        fail "PERMISSIONS does not mention $word"
done

# Exit statuses: those --help lists, each a tagged paragraph.
"$SPYTOP" --help | sed -n '/^Exit status:/,/^$/s/^  \([0-9][0-9]*\) .*/\1/p' >"$WORK/codes"
[ "$(wc -l <"$WORK/codes")" -ge 4 ] || fail "--help lists too few exit statuses"
sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$page" >"$WORK/exit"
while read -r code; do
    grep -q "^\.B $code\$" "$WORK/exit" || fail "exit status $code is in --help, not in the man page"
done <"$WORK/codes"

# Keys: every key the screen and the recording's timeline handle (their
# switch statements) is a bold word of the Keys subsection.
src=$TESTS_SRCDIR/../tui
sed -n '/^\.SS Keys/,/^\.SH /{/^\.BR* /p;}' "$page" |
    sed -e 's/^\.BR* //' -e 's/" and "/ /g' -e 's/", "/ /g' -e 's/\\-/-/g' |
    tr ' ' '\n' | sed '/^$/d' | sort -u >"$WORK/keys_man"
grep -ho "case [^:]*:" "$src/screen.c" "$src/panel.c" "$src/timeline_view.c" "$src/callers_view.c" \
    "$src/source_view.c" "$src/tree_view.c" |
    sed -e 's/^case //' -e 's/:$//' |
    sed -e "s/^' '\$/space/" -e "s/^'\(.\)'\$/\1/" -e 's/^KEY_F(\([0-9]*\))$/F\1/' \
        -e "s/^KEY_CTRL('\(.\)')\$/Ctrl-\1/" -e 's/^KEY_UP$/Up/' -e 's/^KEY_DOWN$/Down/' \
        -e 's/^KEY_PPAGE$/PgUp/' -e 's/^KEY_NPAGE$/PgDn/' -e 's/^KEY_HOME$/Home/' \
        -e 's/^KEY_END$/End/' -e 's/^KEY_LEFT$/Left/' -e 's/^KEY_ESC$/Esc/' \
        -e 's/^KEY_RIGHT$/Right/' -e "s/^KEY_ENTER\$\|^'\\\\[nr]'\$/Enter/" \
        -e 's/^KEY_BACKSPACE$\|^127$/Backspace/' \
        -e '/^KEY_RESIZE$/d' -e '/^PANEL_/d' -e '/^LINE_/d' |
    sed 's/^Ctrl-\(.\)$/Ctrl-\U\1/' | sort -u >"$WORK/keys_code"
[ "$(wc -l <"$WORK/keys_code")" -ge 30 ] || fail "found too few keys in tui/: $(cat "$WORK/keys_code")"
while read -r key; do
    grep -qxF -- "$key" "$WORK/keys_man" || fail "key '$key' is handled in tui/ but not under Keys"
done <"$WORK/keys_code"
exit 0
