#!/bin/sh
# --help, --version and usage errors: documented exit codes, one clear line.
. "$(dirname "$0")/lib.sh"

"$SPYTOP" --help >"$WORK/help" || fail "--help exited $?"
assert_grep '^Usage: spytop' "$WORK/help"
assert_grep 'Exit status' "$WORK/help"
assert_grep 'CAP_SYS_PTRACE' "$WORK/help"

"$SPYTOP" --version >"$WORK/version" || fail "--version exited $?"
assert_grep '^spytop [0-9]+\.[0-9]+' "$WORK/version"
# Every library with a version, as built against and as loaded now
# (libunwind cannot report the loaded one).
v='[0-9]+\.[0-9]+'
assert_grep "^built with libunwind $v.*, elfutils libdw $v.*, ncursesw $v.*, zlib $v" "$WORK/version"
assert_grep "^running with libunwind \(not reported\), elfutils libdw $v.*, ncursesw $v.*, zlib $v" "$WORK/version"
assert_grep '^demangling: (libiberty|libstdc\+\+ .*|none)$' "$WORK/version"

check_usage() {
    status=0
    "$SPYTOP" "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
    [ "$status" = 64 ] || fail "'spytop $*' exited $status, expected 64"
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "'spytop $*' printed more than one error line: $(cat "$WORK/err")"
    assert_grep '^spytop: ' "$WORK/err"
    [ -s "$WORK/out" ] && fail "'spytop $*' wrote to stdout on a usage error"
    return 0
}
check_usage dump
check_usage dump -p
check_usage dump -p abc
check_usage dump -p -5
check_usage dump -p 1 --stack-size 1
check_usage dump -p 1 --bogus
check_usage frobnicate -p 1
check_usage dump -p 1 extra
check_usage -p 1 --json
# record's direct formats: an unknown one, a name that does not say which,
# report's options that a recording does not take.
check_usage record -p 1 -f bogus
assert_grep "unknown --format 'bogus': expected spytop" "$WORK/err"
check_usage record -p 1 -o x.json
check_usage record -p 1 --full-filenames
check_usage record -p 1 -f svg --from 1
check_usage -p 1 -f svg
exit 0
