/* Unit tests for Demangle_symbol (src/demangle.c): C++ and Rust names as
 * a user reads them; anything else, however hostile (symbol names come
 * from the target's binaries), is NULL without a crash. The Rust names
 * are real: what Debian's rustc 1.63 gave tests/targets/rust_demo.rs with
 * -C opt-level=1, with and without -C symbol-mangling-version=v0 (the
 * commands are in that file); the expected text is what that source
 * declares. tests/func/dump_rust.sh demangles a fresh build by the rustc
 * installed, through a live dump. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "demangle.h"

#if !defined(HAVE_LIBIBERTY_DEMANGLE) && !defined(HAVE_CXA_DEMANGLE)
#define NEEDS_DEMANGLER() skip() /* built without a demangler */
#else
#define NEEDS_DEMANGLER() ((void)0)
#endif
#ifndef HAVE_LIBIBERTY_DEMANGLE
#define NEEDS_RUST_V0() skip() /* only libiberty knows Rust v0 */
#else
#define NEEDS_RUST_V0() ((void)0)
#endif

static void
expect_demangled(const char *mangled, const char *want)
{
    char *got = Demangle_symbol(mangled);
    if (!got || strcmp(got, want) != 0)
        FAIL("%s: got \"%s\", want \"%s\"", mangled, got ? got : "(null)", want);
    free(got);
}

static void
expect_null(const char *name)
{
    char *got = Demangle_symbol(name);
    if (got)
        FAIL("%.80s: got \"%.80s\", want NULL", name, got);
}

static void
cplusplus(void **state)
{
    (void)state;
    NEEDS_DEMANGLER();
    expect_demangled("_ZN3foo3barEv", "foo::bar()");
    expect_demangled("_ZN3foo3barEi", "foo::bar(int)");
    expect_demangled("_ZNKSt6vectorIiSaIiEE4sizeEv",
                     "std::vector<int, std::allocator<int> >::size() const");
    expect_demangled("_Z3fooIiEvT_", "void foo<int>(int)");
}

static void
rust_legacy_hash_stripped(void **state)
{
    (void)state;
    NEEDS_DEMANGLER();
    expect_demangled("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
    expect_demangled("_ZN3std2rt10lang_start17hfedcba9876543210E", "std::rt::lang_start");
    /* Not a hash: kept. */
    expect_demangled("_ZN3foo3barE", "foo::bar");
    expect_demangled("_ZN3foo17hzzzzzzzzzzzzzzzzE", "foo::hzzzzzzzzzzzzzzzz");
    expect_demangled("_ZN3foo16h0123456789abcdeE", "foo::h0123456789abcde"); /* 15 digits */
}

static void
rust_legacy_escapes(void **state)
{
    (void)state;
    expect_demangled("_ZN60_$LT$alloc..string..String$u20$as$u20$core..fmt..Display$GT$"
                     "3fmt17h0123456789abcdefE",
                     "<alloc::string::String as core::fmt::Display>::fmt");
}

/* rustc's legacy mangling of rust_demo.rs: the path, then a hash. */
static void
rust_legacy_real(void **state)
{
    (void)state;
    NEEDS_DEMANGLER();
    expect_demangled("_ZN11spytop_demo4main17h38299cf292e0d08bE", "spytop_demo::main");
    expect_demangled("_ZN11spytop_demo5outer5inner8hot_loop17h0cefa6330f739752E",
                     "spytop_demo::outer::inner::hot_loop");
    expect_demangled("_ZN11spytop_demo11generic_sum17h3a8d687e5f976303E",
                     "spytop_demo::generic_sum");
    expect_demangled("_ZN11spytop_demo5Shape4area17h405779cd88e7826dE", "spytop_demo::Shape::area");
    expect_demangled("_ZN57_$LT$spytop_demo..Shape$u20$as$u20$core..fmt..Display$GT$"
                     "3fmt17h20b8b535892638f3E",
                     "<spytop_demo::Shape as core::fmt::Display>::fmt");
    expect_demangled("_ZN64_$LT$alloc..vec..Vec$LT$u32$GT$$u20$as$u20$spytop_demo..Spin$GT$"
                     "4spin17h1cfc48d7d0471f92E",
                     "<alloc::vec::Vec<u32> as spytop_demo::Spin>::spin");
}

/* rustc's v0 mangling of the same program: crate disambiguators (Cs…_)
 * and back-references (B2_) are resolved, generic arguments kept, the
 * disambiguators and LLVM's ".llvm.N" suffix not shown. */
static void
rust_v0_real(void **state)
{
    (void)state;
    NEEDS_RUST_V0();
    expect_demangled("_RNvCsa0oCspAF3Oh_11spytop_demo4main", "spytop_demo::main");
    expect_demangled("_RNvNtNtCsa0oCspAF3Oh_11spytop_demo5outer5inner8hot_loop",
                     "spytop_demo::outer::inner::hot_loop");
    expect_demangled("_RINvCsa0oCspAF3Oh_11spytop_demo11generic_summEB2_",
                     "spytop_demo::generic_sum::<u32>");
    expect_demangled("_RNvMCsa0oCspAF3Oh_11spytop_demoNtB2_5Shape4area",
                     "<spytop_demo::Shape>::area");
    expect_demangled("_RNvXs_Csa0oCspAF3Oh_11spytop_demoNtB4_5ShapeNtNtCs6IL9ONYDOZW_4core3fmt"
                     "7Display3fmt",
                     "<spytop_demo::Shape as core::fmt::Display>::fmt");
    expect_demangled("_RNvXs0_Csa0oCspAF3Oh_11spytop_demoINtNtCsihNoVIYWwLU_5alloc3vec3VecmENtB5_"
                     "4Spin4spin",
                     "<alloc::vec::Vec<u32> as spytop_demo::Spin>::spin");
    expect_demangled("_RINvNtCs6IL9ONYDOZW_4core3ptr13drop_in_placeINtNtCsihNoVIYWwLU_5alloc3vec3"
                     "VecmEECsa0oCspAF3Oh_11spytop_demo",
                     "core::ptr::drop_in_place::<alloc::vec::Vec<u32>>");
    expect_demangled("_RNCINvNtCsdyIG5SqMl5y_3std2rt10lang_startuE0Csa0oCspAF3Oh_11spytop_demo"
                     ".llvm.3302709243587406716",
                     "std::rt::lang_start::<()>::{closure#0}");
    expect_demangled("_RINvNtCsihNoVIYWwLU_5alloc5alloc8box_freeDNtNtCsdyIG5SqMl5y_3std5error5Error"
                     "NtNtCs6IL9ONYDOZW_4core6marker4SendNtB1e_4SyncEL_NtB2_6GlobalECsa0oCspAF3Oh_"
                     "11spytop_demo",
                     "alloc::alloc::box_free::<dyn std::error::Error + core::marker::Send + "
                     "core::marker::Sync, alloc::alloc::Global>");
}

/* Damaged v0 names: cut, a bad back-reference, a bad tag. */
static void
rust_v0_garbage_is_null(void **state)
{
    (void)state;
    static const char *const names[] = {
        "_R",
        "_RN",
        "_RNvCsa0oCspAF3Oh_11spytop_demo",
        "_RNvCsa0oCspAF3Oh_11spytop_demo4mai",
        "_RNvMCsa0oCspAF3Oh_11spytop_demoNtB99_5Shape4area", /* B99_: past the start */
        "_RQ",
        "_R\xff\xfe",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        expect_null(names[i]);
}

static void
c_names_are_not_mangled(void **state)
{
    (void)state;
    static const char *const names[] = {
        "main",    "printf", "_start", "__libc_start_main", "Z3foov",
        "_z3foov", "",       "_",      "memcpy@GLIBC_2.14"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        expect_null(names[i]);
}

static void
garbage_is_null(void **state)
{
    (void)state;
    static const char *const names[] = {
        "_Z",
        "_Zgarbage",
        "_ZN",
        "_ZNK",
        "_ZN3foo",
        "_ZN3foo3bar",
        "_Z1",
        "_Z999999999999999999999x",
        "_ZN4core3fmt5write17h0123456789abcdef", /* no closing E */
        "_Z\x1b[2J",
        "_Z\xff\xfe\x9b",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        expect_null(names[i]);
}

static void
hostile_names_do_not_crash(void **state)
{
    (void)state;
    /* Deep nesting and huge names, as a crafted binary could carry: the
     * answer may be NULL or a string, but the process survives. */
    static const char *const units[] = {"P", "PFv", "N1aI", "St6vectorI", "A1_", "Dp"};
    size_t n = 100000;
    char *name = malloc(n + 16);
    assert_non_null(name);
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        size_t len = strlen(units[u]);
        strcpy(name, "_Z1f");
        size_t at = 4;
        while (at + len < n) {
            memcpy(name + at, units[u], len);
            at += len;
        }
        strcpy(name + at, "iE");
        free(Demangle_symbol(name));
    }
    /* Rust v0: nested paths, generics and back-references. */
    static const char *const rust_units[] = {"Nv", "INv", "B2_", "Ry", "Dp"};
    for (size_t u = 0; u < sizeof(rust_units) / sizeof(rust_units[0]); u++) {
        size_t len = strlen(rust_units[u]);
        strcpy(name, "_R");
        size_t at = 2;
        while (at + len < n) {
            memcpy(name + at, rust_units[u], len);
            at += len;
        }
        strcpy(name + at, "C1a");
        free(Demangle_symbol(name));
    }
    free(name);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cplusplus),
        cmocka_unit_test(rust_legacy_hash_stripped),
        cmocka_unit_test(rust_legacy_escapes),
        cmocka_unit_test(rust_legacy_real),
        cmocka_unit_test(rust_v0_real),
        cmocka_unit_test(rust_v0_garbage_is_null),
        cmocka_unit_test(c_names_are_not_mangled),
        cmocka_unit_test(garbage_is_null),
        cmocka_unit_test(hostile_names_do_not_crash),
    };
    return cmocka_run_group_tests_name("demangle", tests, NULL, NULL);
}
