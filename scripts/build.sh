#!/bin/sh
# Installs the build dependencies, generates the build system and builds
# spytop out of tree, in build/ (or $SPYTOP_BUILD_DIR). Arguments go to
# configure, after --enable-werror.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
    ./autogen.sh >/dev/null 2>&1
dir=${SPYTOP_BUILD_DIR:-$top/build}
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] && [ Makefile -nt "$top/configure" ] || "$top/configure" --enable-werror "$@" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" >/dev/null
echo "spytop: built $dir/spytop" >&2
