#!/bin/sh
# Sets up the distribution-built CPython interpreters the Python tests run:
# a minimal Debian root of the development release (sid) holding Debian's
# own python3.13, python3.14 and python3.15 (PGO+LTO, stripped), as
# production hosts run them. Tests run them inside the root with chroot,
# which also makes each a container-like target (spytop reads the
# interpreter through /proc/PID/root).
#
# Idempotent and cached on the machine: a second run does nothing. Prints
# the root's path on stdout. Root only; prints why and exits 1 when the
# root cannot be made (no network to the Debian mirror, not root...), so
# the tests that need it skip.
#
#   SPYTOP_PYTHONS_ROOT   where the root lives (default
#                         /var/cache/spytop/sid-pythons)
set -eu
root=${SPYTOP_PYTHONS_ROOT:-/var/cache/spytop/sid-pythons}
want="python3.13 python3.14 python3.15"
stamp=$root/.spytop-pythons

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$root"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "pythons.sh: making the Debian root needs root" >&2
    exit 1
fi
command -v debootstrap >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
# The mirror this machine's apt uses.
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
    head -n 1)
[ -n "$mirror" ] ||
    mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root.partial"
    mkdir -p "$(dirname "$root")"
    echo "pythons.sh: debootstrap sid from $mirror into $root (once per machine)" >&2
    debootstrap --variant=minbase sid "$root.partial" "$mirror" >"$root.log" 2>&1 || {
        echo "pythons.sh: debootstrap failed; see $root.log" >&2
        exit 1
    }
    rm -rf "$root"
    mv "$root.partial" "$root"
fi
# The mirror's copy of sid can be weeks old: do not let apt refuse it.
chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq >>"$root.log" 2>&1
# shellcheck disable=SC2086
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get \
    -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends \
    $want >>"$root.log" 2>&1 || {
    echo "pythons.sh: installing $want in $root failed; see $root.log" >&2
    exit 1
}
echo "$want" >"$stamp"
echo "$root"
