#!/bin/sh
# Installs what building and testing spytop needs on Debian 12, as root.
# Installs nothing when everything is already there.
set -eu

# libiberty-dev: the demangler (C++, Rust legacy and v0); rustc builds the
# Rust target of tests/func/dump_rust.sh; golang-go (go tool pprof) and
# node with npm (speedscope's schema, ajv) read the exports in
# tests/func/report_consumers.sh.
PACKAGES="build-essential autoconf automake libtool pkg-config binutils
libunwind-dev libdw-dev libelf-dev libiberty-dev zlib1g-dev libncurses-dev libcmocka-dev
elfutils python3 xz-utils gzip tmux procps util-linux mandoc groff-base
golang-go rustc bash-completion man-db gunicorn curl clang libclang-rt-14-dev clang-format-14 valgrind"
# What the packages suite (scripts/suites/packages.sh) uses to build, lint
# and check the .deb (hardening-check is devscripts') and the RPM spec;
# installed without their recommends, which are many and unneeded here.
PACKAGING="dpkg-dev debhelper fakeroot lintian devscripts autopkgtest rpm"

missing="" missing_packaging=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
for p in $PACKAGING; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing_packaging="$missing_packaging $p"
done
# node and npm: Debian's, unless some node with its npm is there already
# (another vendor's nodejs package bundles npm and conflicts with Debian's).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
[ -z "$missing$missing_packaging" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "spytop: missing Debian packages:$missing$missing_packaging" >&2
    echo "spytop: run this as root, or: sudo apt-get install -y$missing$missing_packaging" >&2
    exit 2
fi
echo "spytop: installing:$missing$missing_packaging" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
[ -z "$missing" ] || apt-get install -y -qq $missing >/dev/null
# shellcheck disable=SC2086
[ -z "$missing_packaging" ] || apt-get install -y -qq --no-install-recommends $missing_packaging >/dev/null
