#!/bin/sh
# The man page lints clean and documents every option --help lists.
. "$(dirname "$0")/lib.sh"
page=$(dirname "$SPYTOP")/man/spytop.1
[ -f "$page" ] || fail "no built man page at $page"
if command -v mandoc >/dev/null; then
    mandoc -T lint -W warning "$page" >"$WORK/lint" 2>&1 || true
    [ -s "$WORK/lint" ] && fail "mandoc -T lint: $(cat "$WORK/lint")"
fi
if command -v groff >/dev/null; then
    groff -man -ww -z "$page" >"$WORK/groff" 2>&1
    [ -s "$WORK/groff" ] && fail "groff -ww: $(cat "$WORK/groff")"
fi
"$SPYTOP" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$WORK/options"
[ -s "$WORK/options" ] || fail "no options in --help"
while read -r opt; do
    # The page escapes dashes: --json is written \-\-json.
    escaped=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -q -- "$escaped" "$page" || fail "option $opt is in --help but not in the man page"
done <"$WORK/options"
version=$("$SPYTOP" --version | sed -n '1s/^spytop //p')
grep -q "spytop $version" "$page" || fail "the man page does not carry version $version"
exit 0
