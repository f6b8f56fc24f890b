#!/bin/sh
# A Rust target built here by rustc (Debian's /usr/bin/rustc when it is
# there, else the first on PATH), with v0 symbol mangling and with the
# legacy one: spytop dump shows the functions as Rust spells them, paths,
# trait impls and generic arguments included, never a mangled name.
# Skipped without rustc.
. "$(dirname "$0")/lib.sh"
require_ptrace

if [ -x /usr/bin/rustc ]; then rustc=/usr/bin/rustc; else rustc=$(command -v rustc) || rustc=; fi
[ -n "$rustc" ] || skip "rustc is not installed (apt-get install rustc)"
note "$("$rustc" --version)"
src=$TESTS_SRCDIR/targets/rust_demo.rs

# check_rust BINARY MANGLING PATTERN...: dumps until the main thread is in
# hot_loop (most of its time), then every PATTERN must be in its frames.
check_rust() {
    bin=$1 mangling=$2
    shift 2
    start_target "rust_$mangling" "$bin"
    tries=0
    while :; do
        dump "$TARGET_PID"
        [ "$DUMP_STATUS" = 0 ] ||
            fail "$mangling: dump exited $DUMP_STATUS: $(cat "$WORK/dump.out" "$WORK/dump.err")"
        frames_of_thread "$TARGET_PID" "$WORK/dump.out" >"$WORK/frames"
        grep -q 'spytop_demo::outer::inner::hot_loop+' "$WORK/frames" && break
        tries=$((tries + 1))
        [ $tries -lt 10 ] || fail "$mangling: never in hot_loop: $(cat "$WORK/dump.out")"
    done
    for pattern in "$@"; do
        assert_grep "$pattern" "$WORK/frames" "$mangling: no /$pattern/"
    done
    # The whole walk, through std's frames with cleanups, to _start.
    assert_grep ' std::rt::lang_start_internal\+0x' "$WORK/frames" "$mangling: no lang_start_internal"
    assert_grep ' _start\+0x' "$WORK/frames" "$mangling: the walk did not reach _start"
    # Nothing left mangled: no _R... or _ZN... name.
    assert_no_grep '#[0-9]+ +0x[0-9a-f]+ _(R|ZN)[A-Za-z0-9_]' "$WORK/frames" "$mangling: a mangled name"
    note "$mangling: $(grep -o ' [^ ]*spytop_demo[^+]*' "$WORK/frames" | tr '\n' '|')"
    assert_untouched "$TARGET_PID"
    kill "$TARGET_PID"
}

"$rustc" -C opt-level=1 -g -o "$WORK/rust_legacy" "$src" 2>"$WORK/rustc.err" ||
    fail "rustc (legacy) failed: $(cat "$WORK/rustc.err")"
check_rust "$WORK/rust_legacy" legacy \
    ' spytop_demo::outer::inner::hot_loop\+0x' \
    ' spytop_demo::generic_sum\+0x' \
    ' <alloc::vec::Vec<u32> as spytop_demo::Spin>::spin\+0x' \
    ' spytop_demo::main\+0x'
"$rustc" -C symbol-mangling-version=v0 -C opt-level=1 -g -o "$WORK/rust_v0" "$src" \
    2>"$WORK/rustc.err" || fail "rustc (v0) failed: $(cat "$WORK/rustc.err")"
nm "$WORK/rust_v0" | grep -q ' _RNvNtNtC[A-Za-z0-9_]*5outer5inner8hot_loop$' ||
    fail "rustc did not mangle with v0: $(nm "$WORK/rust_v0" | grep hot_loop)"
if spytop_demangler=$("$SPYTOP" --version 2>/dev/null | sed -n 's/^demangling: //p') &&
    ! echo "$spytop_demangler" | grep -q libiberty; then
    skip "this spytop cannot demangle Rust v0 ($spytop_demangler): build it with libiberty-dev"
fi
check_rust "$WORK/rust_v0" v0 \
    ' spytop_demo::outer::inner::hot_loop\+0x' \
    ' spytop_demo::generic_sum::<u32>\+0x' \
    ' <alloc::vec::Vec<u32> as spytop_demo::Spin>::spin\+0x' \
    ' spytop_demo::main\+0x'

exit 0
