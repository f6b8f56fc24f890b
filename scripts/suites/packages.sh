#!/bin/sh
# Extra suite: the packages, built from the release tarball as a packager
# would build them.
#   - make dist in BUILD_DIR; the tarball unpacked in a scratch directory
#     with packaging/debian as its debian/;
#   - dpkg-buildpackage -us -uc -b, then lintian (an error fails);
#   - the .deb installed on this machine (dpkg -i, removed again at the end;
#     unpacked with dpkg -x into the scratch directory instead when a spytop
#     package is already installed or we are not root), and the installed
#     binary run: --version, dump -p of a process started here, the man
#     pages, the bash completion, the hardening flags, and the package's
#     own autopkgtest (debian/tests/attach, through autopkgtest when it is
#     installed);
#   - the RPM spec parsed (rpmspec -P) and a source RPM built from it, then
#     a binary RPM (--nodeps, since Debian's rpm database knows no
#     packages; --nocheck).
# Prints "PASS: name" / "FAIL: name" / "SKIP: name" lines; everything else
# is log, prefixed "# " (a log's own "PASS:" line must not count).
# Usage: packages.sh BUILD_DIR [SANITIZER_BUILD_DIR]
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR [SANITIZER_BUILD_DIR]}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C
unset DEBUGINFOD_URLS
work=$(mktemp -d "${TMPDIR:-/tmp}/spytop-packages.XXXXXX")
installed_here=""
target=""

cleanup() {
    [ -n "$target" ] && kill "$target" 2>/dev/null
    if [ -n "$installed_here" ]; then
        echo "# removing the spytop package installed by this suite"
        dpkg --purge spytop >/dev/null 2>&1 || echo "# dpkg --purge spytop failed"
        # What autopkgtest installs for the test's Depends, if it is left.
        dpkg --purge autopkgtest-satdep >/dev/null 2>&1
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() { echo "PASS: packages/$1"; }
fail() { echo "FAIL: packages/$1${2:+: $2}"; }
skip() { echo "SKIP: packages/$1${2:+: $2}"; }
now() { date +%s; }

for tool in dpkg-buildpackage dh lintian; do
    if ! command -v "$tool" >/dev/null; then
        skip deb "no $tool (scripts/deps.sh installs it)"
        exit 0
    fi
done

# ---- the release tarball -------------------------------------------------
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$build/Makefile")
[ -n "$version" ] || { fail dist "no PACKAGE_VERSION in $build/Makefile"; exit 1; }
if ! make -C "$build" dist-gzip >"$work/dist.log" 2>&1; then
    tail -n 30 "$work/dist.log" | sed 's/^/# /'
    fail dist "make dist failed"
    exit 1
fi
tarball=$build/spytop-$version.tar.gz
pass dist

# The packages carry the version configure.ac gives.
deb_version=$(sed -n '1s/^spytop (\([^)]*\)).*/\1/p' "$top/packaging/debian/changelog")
rpm_version=$(sed -n 's/^Version:[[:space:]]*//p' "$top/packaging/rpm/spytop.spec")
if [ "${deb_version%-*}" = "$version" ] && [ "$rpm_version" = "$version" ]; then
    pass versions
else
    fail versions "configure says $version, debian/changelog $deb_version, the spec $rpm_version"
fi

# ---- the .deb ------------------------------------------------------------
mkdir "$work/deb"
tar -xzf "$tarball" -C "$work/deb"
src=$work/deb/spytop-$version
cp -a "$src/packaging/debian" "$src/debian"
ln -s "$tarball" "$work/deb/spytop_$version.orig.tar.gz"
start=$(now)
# make check already ran on both builds before this suite (the normal one
# inside distcheck, and the sanitizer one): the package build skips it.
if (cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$work/deb.log" 2>&1; then
    pass deb-build
    echo "# dpkg-buildpackage took $(($(now) - start)) s"
else
    tail -n 40 "$work/deb.log" | sed 's/^/# /'
    fail deb-build "dpkg-buildpackage failed"
    exit 1
fi
deb=$(ls "$work"/deb/spytop_"$version"-*_*.deb 2>/dev/null | head -n 1)
changes=$(ls "$work"/deb/spytop_"$version"-*_*.changes 2>/dev/null | head -n 1)
[ -f "$deb" ] || { fail deb-build "no .deb in $work/deb"; exit 1; }
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\):/# &/p'
dpkg-deb --contents "$deb" | awk '{ print "#   " $NF }'

# lintian: errors fail; warnings are shown.
lintian --fail-on error --display-info "$changes" >"$work/lintian" 2>&1
status=$?
sed 's/^/# lintian: /' "$work/lintian"
if [ "$status" = 0 ]; then
    pass lintian
else
    fail lintian "$(grep -c '^E:' "$work/lintian") errors"
fi

# ---- install and run ------------------------------------------------------
if [ "$(id -u)" = 0 ] && ! dpkg-query -W -f='${Status}' spytop 2>/dev/null | grep -q 'ok installed'; then
    if dpkg -i "$deb" >"$work/install.log" 2>&1; then
        installed_here=1
        root=""
        pass deb-install
    else
        sed 's/^/# /' "$work/install.log"
        fail deb-install "dpkg -i failed"
        dpkg --purge spytop >/dev/null 2>&1
        exit 1
    fi
else
    echo "# not root, or a spytop package is already installed: unpacking into $work/root"
    dpkg -x "$deb" "$work/root"
    root=$work/root
    skip deb-install "checked with dpkg -x only"
fi
spytop=$root/usr/bin/spytop

if "$spytop" --version >"$work/version" 2>&1 &&
    grep -q "^spytop $version\$" "$work/version" &&
    grep -q '^built with libunwind [0-9]' "$work/version" &&
    grep -q '^running with .*elfutils libdw [0-9]' "$work/version"; then
    sed 's/^/# /' "$work/version"
    pass installed-version
else
    sed 's/^/# /' "$work/version"
    fail installed-version "unexpected --version"
fi

# dump -p of a process this suite starts: a shell waiting for sleep.
sleep 300 &
target=$!
sleep 0.2
status=0
"$spytop" dump -p "$target" >"$work/dump" 2>&1 || status=$?
if [ "$status" -le 1 ] && grep -q "^Thread $target \"sleep\"" "$work/dump" &&
    grep -q nanosleep "$work/dump" && grep -q '^TracerPid:[[:space:]]*0$' /proc/"$target"/status; then
    pass installed-dump
else
    sed 's/^/# /' "$work/dump"
    fail installed-dump "spytop dump -p $target exited $status"
fi
kill "$target" 2>/dev/null
wait "$target" 2>/dev/null
target=""

# The man pages render without a warning, and man finds them.
man_ok=1
for page in man1/spytop.1.gz man5/spytop-record.5.gz; do
    file=$root/usr/share/man/$page
    if [ ! -f "$file" ]; then
        echo "# no $file"
        man_ok=""
    elif ! MANWIDTH=80 man -l "$file" >/dev/null 2>"$work/man.err" || [ -s "$work/man.err" ]; then
        echo "# man -l $file: $(cat "$work/man.err")"
        man_ok=""
    fi
done
if [ -z "$root" ] && [ "$(man -w spytop 2>/dev/null)" != /usr/share/man/man1/spytop.1.gz ]; then
    echo "# man -w spytop: $(man -w spytop 2>&1)"
    man_ok=""
fi
if [ -n "$man_ok" ]; then pass installed-man; else fail installed-man; fi

completion=$root/usr/share/bash-completion/completions/spytop
if [ -f "$completion" ] && bash -n "$completion" &&
    bash -c '. "$1"; complete -p spytop' sh "$completion" | grep -q -- '-F _spytop'; then
    pass installed-completion
else
    fail installed-completion "no usable $completion"
fi

if command -v hardening-check >/dev/null; then
    # hardening=+all on Debian 12 (dpkg 1.21) means PIE, stack protector,
    # fortify, relro and bindnow; dpkg adds -fcf-protection only from 1.22.
    if hardening-check --nocfprotection "$spytop" >"$work/hardening" 2>&1; then
        pass hardening
    else
        fail hardening
    fi
    sed 's/^/# /' "$work/hardening"
else
    skip hardening "no hardening-check (devscripts)"
fi

# The package's autopkgtest, run by autopkgtest on this machine (the null
# testbed: it installs the .deb, as it is already, and the test's Depends
# with apt), or else its script run directly against the installed package.
if [ -z "$root" ]; then
    mkdir "$work/autopkgtest"
    start=$(now)
    if command -v autopkgtest >/dev/null; then
        autopkgtest "$deb" "$src/" -- null >"$work/autopkgtest.log" 2>&1
    else
        AUTOPKGTEST_TMP=$work/autopkgtest sh "$src/debian/tests/attach" >"$work/autopkgtest.log" 2>&1
    fi
    status=$?
    echo "# autopkgtest took $(($(now) - start)) s"
    if [ "$status" = 0 ]; then
        pass autopkgtest
    else
        tail -n 40 "$work/autopkgtest.log" | sed 's/^/# /'
        fail autopkgtest "exit status $status"
    fi
else
    skip autopkgtest "the package is not installed"
fi

if [ -n "$installed_here" ]; then
    dpkg --purge autopkgtest-satdep >/dev/null 2>&1
    if dpkg --purge spytop >/dev/null 2>&1 && [ ! -e /usr/bin/spytop ] &&
        [ ! -e /usr/share/bash-completion/completions/spytop ]; then
        installed_here=""
        pass deb-remove
    else
        fail deb-remove "spytop is still installed"
    fi
fi

# ---- the RPM spec ---------------------------------------------------------
if ! command -v rpmbuild >/dev/null; then
    skip rpm "no rpmbuild (Debian's rpm package)"
    exit 0
fi
spec=$top/packaging/rpm/spytop.spec
if rpmspec -P "$spec" >"$work/spec.parsed" 2>&1; then
    pass rpm-spec-parse
else
    sed 's/^/# /' "$work/spec.parsed"
    fail rpm-spec-parse
fi
rpmtop=$work/rpmbuild
mkdir -p "$rpmtop/SOURCES"
cp "$tarball" "$rpmtop/SOURCES/"
if rpmbuild -bs --define "_topdir $rpmtop" "$spec" >"$work/srpm.log" 2>&1 &&
    ls "$rpmtop"/SRPMS/spytop-"$version"-1*.src.rpm >/dev/null 2>&1; then
    pass rpm-srpm
    rpm -qpl "$rpmtop"/SRPMS/*.src.rpm | sed 's/^/#   /'
else
    sed 's/^/# /' "$work/srpm.log"
    fail rpm-srpm
fi
start=$(now)
if rpmbuild -bb --nodeps --nocheck --define "_topdir $rpmtop" "$spec" >"$work/rpm.log" 2>&1; then
    rpm=$(ls "$rpmtop"/RPMS/*/spytop-"$version"-1*.rpm | head -n 1)
    rpm -qpl "$rpm" | sed 's/^/#   /'
    if rpm -qpl "$rpm" | grep -qx /usr/bin/spytop &&
        rpm -qpl "$rpm" | grep -qx /usr/share/bash-completion/completions/spytop; then
        pass rpm-binary
    else
        fail rpm-binary "the RPM lacks files"
    fi
    echo "# rpmbuild -bb took $(($(now) - start)) s"
else
    tail -n 30 "$work/rpm.log" | sed 's/^/# /'
    fail rpm-binary
fi
exit 0
