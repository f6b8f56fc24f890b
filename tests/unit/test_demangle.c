/* Unit tests for Symbolizer_demangle (src/symbolizer.c): C++ and Rust
 * names as a user reads them; anything else, however hostile (symbol
 * names come from the target's binaries), is NULL without a crash. */
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

#include "symbolizer.h"

#ifndef HAVE_CXA_DEMANGLE
#define NEEDS_DEMANGLER() skip() /* built without __cxa_demangle */
#else
#define NEEDS_DEMANGLER() ((void)0)
#endif

static void
expect_demangled(const char *mangled, const char *want)
{
    char *got = Symbolizer_demangle(mangled);
    if (!got || strcmp(got, want) != 0)
        FAIL("%s: got \"%s\", want \"%s\"", mangled, got ? got : "(null)", want);
    free(got);
}

static void
expect_null(const char *name)
{
    char *got = Symbolizer_demangle(name);
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
        free(Symbolizer_demangle(name));
    }
    free(name);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cplusplus),           cmocka_unit_test(rust_legacy_hash_stripped),
        cmocka_unit_test(rust_legacy_escapes), cmocka_unit_test(c_names_are_not_mangled),
        cmocka_unit_test(garbage_is_null),     cmocka_unit_test(hostile_names_do_not_crash),
    };
    return cmocka_run_group_tests_name("demangle", tests, NULL, NULL);
}
