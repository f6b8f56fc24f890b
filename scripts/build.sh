#!/bin/sh
# Installs the build dependencies, generates the build system and builds
# spytop out of tree in build/. Extra arguments go to configure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
    ./autogen.sh >/dev/null 2>&1
mkdir -p build
cd build
[ -f Makefile ] && [ Makefile -nt ../configure ] || ../configure --enable-werror "$@" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" >/dev/null
echo "spytop: built $top/build/spytop" >&2
