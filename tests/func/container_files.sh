#!/bin/sh
# A target in a "container" (its own mount namespace and root, by
# pivot_root) whose files are traps: its libc is an absolute symlink, and
# the same paths on the host hold another program. Its maps hold /dev/zero and a
# file replaced by a FIFO after it was mapped (and a FIFO named like the
# mapping's "(deleted)" path), and its debuglink names a FIFO. spytop must
# read the container's files, never the host's file at the same path, and
# never block on a FIFO or read a device: dump, --batch and record finish
# in time and show the right frames. Run twice: as root, which opens
# /proc/PID/map_files, and without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE,
# where spytop must open the files by path, inside the target's root.
. "$(dirname "$0")/lib.sh"
require_ptrace
command -v unshare >/dev/null || skip "unshare is not installed"
unshare --mount --fork sh -c 'mount --bind / /' 2>/dev/null || skip "unshare --mount is not permitted here"
command -v ldd >/dev/null || skip "ldd is not installed"
OBJCOPY=${OBJCOPY:-objcopy}
command -v "$OBJCOPY" >/dev/null || skip "objcopy is not installed"

root=$WORK/root
app=$WORK/app # the executable's directory, the same path inside and out
evil=$WORK/evil

# --- the container's root: the target, without its DWARF but with a
# debuglink; its libraries from ldd, libc behind an absolute symlink.
mkdir -p "$root$app" "$root$evil" "$root/dev"
mknod -m 666 "$root/dev/zero" c 1 5 2>/dev/null || skip "cannot make a /dev/zero for the container"
"$OBJCOPY" --only-keep-debug "$TARGETS/mapper" "$root$app/mapper.debug"
"$OBJCOPY" --strip-debug --add-gnu-debuglink="$root$app/mapper.debug" "$TARGETS/mapper" \
    "$root$app/mapper" || fail "objcopy failed"
head -c 4096 /dev/urandom >"$root$app/data"
for lib in $(ldd "$TARGETS/mapper" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
    mkdir -p "$root$(dirname "$lib")"
    case "$lib" in
    */libc.so.*)
        cp "$lib" "$root$evil/$(basename "$lib")"
        ln -s "$evil/$(basename "$lib")" "$root$lib"
        libc_name=$(basename "$lib")
        ;;
    *) cp -L "$lib" "$root$lib" ;;
    esac
done
[ -n "${libc_name:-}" ] || fail "ldd named no libc: $(ldd "$TARGETS/mapper")"

# --- the host: other programs at the same paths, read never.
mkdir -p "$app" "$evil"
for decoy in "$app/mapper" "$evil/$libc_name"; do
    cp "$TARGETS/ratio" "$decoy"
done
# Under relatime a read updates atime when it is older than mtime.
touch -a -d '2001-01-01 00:00:00' "$app/mapper" "$evil/$libc_name"
atimes() {
    stat -c %X "$app/mapper" "$evil/$libc_name" | tr '\n' ' '
}
host_atimes=$(atimes)

rm -f "$WORK/mapper.out"
# pivot_root, as container runtimes do: the root is a mount of its own, so
# /proc/PID/maps shows the paths inside the container (after a chroot it
# would show the host's). The old root stays at /.old; nothing uses it.
mkdir "$root/.old"
unshare --mount --fork sh -c 'mount --bind "$1" "$1" && cd "$1" && pivot_root . .old &&
    exec "$2/mapper" "$2/data"' sh "$root" "$app" >"$WORK/mapper.out" 2>"$WORK/mapper.err" &
STARTED_PIDS="$STARTED_PIDS $!"
i=0
while ! grep -q '^ready' "$WORK/mapper.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 500 ] && fail "the contained target did not get ready: $(cat "$WORK/mapper.err")"
    sleep 0.01
done
pid=$(sed -n 's/^ready //p' "$WORK/mapper.out")
STARTED_PIDS="$pid $STARTED_PIDS"
[ "$(stat -L -c %i /proc/"$pid"/root)" = "$(stat -c %i "$root")" ] ||
    fail "the target's root is not $root"
grep -q "$evil/$libc_name" /proc/"$pid"/maps || fail "libc is not mapped from $evil: $(cat /proc/"$pid"/maps)"

# --- the traps, set once the target runs.
# The data file becomes a FIFO; another FIFO takes the name maps shows.
mkfifo "$root$app/fifo" "$root$app/data (deleted)"
mv "$root$app/fifo" "$root$app/data"
# The debuglink names a FIFO.
rm "$root$app/mapper.debug"
mkfifo "$root$app/mapper.debug"
grep -q '/dev/zero' /proc/"$pid"/maps || fail "/dev/zero is not mapped"

# check_frames FILE WHAT: the container's functions, the stack whole.
check_frames() {
    assert_grep 'mapper_spin' "$1" "$2: the container's function is not named"
    assert_grep 'mapper_outer' "$1" "$2: the stack was not unwound through mapper_outer"
    assert_grep '(main|__libc_start_call_main)' "$1" "$2: the stack does not reach main"
    assert_no_grep 'ratio_' "$1" "$2: a function of the host's decoy"
}

# run WHAT SPYTOP-ARGS...: spytop, with a time limit (a FIFO opened for
# reading, or /dev/zero read to its end, would never return).
run() {
    what=$1
    shift
    status=0
    timeout -s KILL 60 "$@" >"$WORK/run.out" 2>"$WORK/run.err" || status=$?
    [ "$status" = 137 ] && fail "$what: spytop hung (killed after 60 s): $(cat "$WORK/run.err")"
    case $status in
    0 | 1) ;;
    *) fail "$what: exited $status: $(cat "$WORK/run.err")" ;;
    esac
}

for caps in all no-map-files; do
    wrap=""
    if [ "$caps" = no-map-files ]; then
        command -v setpriv >/dev/null || { note "no setpriv: map_files not denied"; continue; }
        wrap="setpriv --bounding-set=-sys_admin,-checkpoint_restore"
        # shellcheck disable=SC2086
        if $wrap cat /proc/"$pid"/map_files/"$(sed -n '1s/ .*//p' /proc/"$pid"/maps)" \
            >/dev/null 2>&1; then
            note "map_files readable without CAP_SYS_ADMIN: the by-path half is not tested"
        fi
    fi
    # shellcheck disable=SC2086
    run "dump ($caps)" $wrap "$SPYTOP" dump -p "$pid"
    cp "$WORK/run.out" "$WORK/dump-$caps.out"
    check_frames "$WORK/run.out" "dump ($caps)"
    # shellcheck disable=SC2086
    run "batch ($caps)" $wrap "$SPYTOP" -p "$pid" --batch --iterations 1 --delay 1
    check_frames "$WORK/run.out" "batch ($caps)"
    rm -f "$WORK/run-$caps.spytop"
    # shellcheck disable=SC2086
    run "record ($caps)" $wrap "$SPYTOP" record -p "$pid" -d 1 -o "$WORK/run-$caps.spytop"
    "$SPYTOP" report "$WORK/run-$caps.spytop" --format collapsed >"$WORK/folded" ||
        fail "report ($caps) exited $?"
    check_frames "$WORK/folded" "record ($caps)"
    assert_untouched "$pid"
    [ "$(atimes)" = "$host_atimes" ] || fail "$caps: a file of the host was read ($host_atimes -> $(atimes))"
done
note "dump without map_files: $(grep -c '^  #' "$WORK/dump-no-map-files.out" 2>/dev/null) frames"
exit 0
