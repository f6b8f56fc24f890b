#!/bin/sh
# CI suite: every C source and header follows .clang-format (LLVM base,
# 4 spaces, 100 columns, Linux braces, return types on their own line; see
# ../shared/STYLE.md) exactly as clang-format 14, Debian 12's, writes it:
# other versions place a few things differently. Prints "PASS: format", or
# "FAIL: format" and how each file differs (fix: clang-format-14 -i FILE);
# "SKIP: format" when clang-format-14 is not installed.
#
#   scripts/suites/format.sh [BUILD_DIR SANITIZER_BUILD_DIR]   (both unused)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

cf=$(command -v clang-format-14 || true)
if [ -z "$cf" ]; then
    echo "SKIP: format (clang-format-14 is not installed; scripts/deps.sh installs it)"
    exit 0
fi
if git rev-parse --git-dir >/dev/null 2>&1; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find src tui tests bench -name '*.[ch]' | sort)
fi
bad=0
for f in $files; do
    if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
        [ $bad = 0 ] && echo "FAIL: format"
        bad=$((bad + 1))
        echo "--- $f differs from clang-format-14's layout:"
        "$cf" "$f" | diff -u "$f" - | head -n 30
    fi
done
if [ $bad = 0 ]; then
    echo "PASS: format ($(echo "$files" | wc -l) files)"
    exit 0
fi
echo "format: $bad files differ (fix: clang-format-14 -i FILE)"
exit 1
