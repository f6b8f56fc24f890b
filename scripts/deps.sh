#!/bin/sh
# Installs what building and testing spytop needs on Debian 12, as root.
# Installs nothing when everything is already there.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config binutils
libunwind-dev libdw-dev libelf-dev zlib1g-dev libncurses-dev libcmocka-dev
elfutils python3 xz-utils gzip tmux procps util-linux mandoc groff-base
golang-go clang libclang-rt-14-dev valgrind"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "spytop: missing Debian packages:$missing" >&2
    echo "spytop: run this as root, or: sudo apt-get install -y$missing" >&2
    exit 2
fi
echo "spytop: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
