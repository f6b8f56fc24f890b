/* Unit tests for src/codepieces.c, src/ehframe.c and Arch_next_jump: the
 * pieces of functions of this very test binary, read through its own
 * images. split_work is built so that GCC moves its rare block into a
 * ".cold" piece of its own FDE (what PGO does to CPython's evaluation
 * loop), reached by a conditional jump and jumping back. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "arch.h"
#include "codepieces.h"
#include "ehframe.h"
#include "images.h"

/* GCC only, and not under AddressSanitizer: its instrumentation keeps the
 * rare block in line (no .cold piece is made), so there is nothing to find. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define SPLIT_BUILD 1
#define SPLIT_ATTR __attribute__((noinline, optimize("O2", "reorder-blocks-and-partition")))
#else
#define SPLIT_BUILD 0
#define SPLIT_ATTR __attribute__((noinline))
#endif

volatile int sink;

__attribute__((cold, noinline)) static void
report(int x)
{
    sink = x;
}

long split_work(const int *v, int n);

long plain_work(long x);

__attribute__((noinline)) long
plain_work(long x)
{
    return x * 3 + sink;
}

/* Called through a pointer the compiler cannot see through. */
static long (*volatile step)(long) = plain_work;

/* The unknown call in the loop keeps s, i and v in callee-saved registers,
 * so the function has a frame: its cold piece starts inside it, which is
 * how a piece is told from a function (a frameless function's piece would
 * not be). */
SPLIT_ATTR long
split_work(const int *v, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) {
        if (v[i] == 4242) {
            report(v[i]);
            s -= 7;
        }
        s += step(v[i]);
    }
    return s;
}

static Images *
own_images(void)
{
    Images *images = Images_new(getpid());
    assert_int_equal(Images_refresh(images), 0);
    return images;
}

static void
next_jump_finds_encodings(void **state)
{
    (void)state;
    /* nop nop nop; jmp +0x10; jne -0x20; nop */
    const uint8_t code[] = {0x90, 0x90, 0x90, 0xe9, 0x10, 0,    0,   0,
                            0x0f, 0x85, 0xe0, 0xff, 0xff, 0xff, 0x90};
    size_t pos = 0;
    uint64_t target;
    assert_true(Arch_next_jump(code, sizeof(code), 0x1000, &pos, &target));
    assert_int_equal(target, 0x1000 + 3 + 5 + 0x10);
    assert_true(Arch_next_jump(code, sizeof(code), 0x1000, &pos, &target));
    assert_int_equal(target, 0x1000 + 8 + 6 - 0x20);
    assert_false(Arch_next_jump(code, sizeof(code), 0x1000, &pos, &target));
    /* A jump cut off by the end of the buffer is no jump. */
    pos = 0;
    assert_false(Arch_next_jump(code + 8, 5, 0x1000, &pos, &target));
}

static void
fde_of_a_function(void **state)
{
    (void)state;
    Images *images = own_images();
    EhFrameFde fde;
    uint64_t f = (uint64_t)(uintptr_t)plain_work;
    assert_int_equal(EhFrame_find(images, f, &fde), 0);
    assert_int_equal(fde.start, f);
    assert_true(fde.end > f);
    assert_true(fde.entry_state);
    assert_int_equal(EhFrame_find(images, fde.end - 1, &fde), 0);
    assert_int_equal(fde.start, f);
    /* Not code: no unwind table there. */
    assert_int_equal(EhFrame_find(images, 16, &fde), -ENOENT);
    Images_delete(images);
}

static void
pieces_of_split_function(void **state)
{
    (void)state;
    if (!SPLIT_BUILD)
        skip(); /* see SPLIT_BUILD */
    int v[3] = {1, 2, 3};
    assert_int_equal(split_work(v, 3), 18 + 3 * sink);
    Images *images = own_images();
    CodeRange r[8];
    uint64_t f = (uint64_t)(uintptr_t)split_work;
    size_t n = CodePieces_find(images, f, r, 8);
    if (n != 2)
        FAIL("split_work: %zu pieces, want 2 (itself and its .cold part)", n);
    assert_int_equal(r[0].start, f);
    assert_true(r[1].end <= r[0].start || r[1].start >= r[0].end);
    EhFrameFde cold;
    assert_int_equal(EhFrame_find(images, r[1].start, &cold), 0);
    assert_false(cold.entry_state); /* it starts inside split_work's frame */
    assert_true(CodePieces_contain(r, n, r[1].start));
    assert_true(CodePieces_contain(r, n, r[0].end - 1));
    assert_false(CodePieces_contain(r, n, r[0].end > r[1].end ? r[0].end : r[1].end));
    /* From an address inside it, the same function. */
    CodeRange again[8];
    assert_int_equal(CodePieces_find(images, r[0].end - 1, again, 8), 2);
    /* A room for one piece: the function's own FDE only. */
    assert_int_equal(CodePieces_find(images, f, again, 1), 1);
    Images_delete(images);
}

static void
pieces_of_plain_function(void **state)
{
    (void)state;
    Images *images = own_images();
    CodeRange r[8];
    assert_int_equal(CodePieces_find(images, (uint64_t)(uintptr_t)plain_work, r, 8), 1);
    assert_int_equal(r[0].start, (uint64_t)(uintptr_t)plain_work);
    /* No code there. */
    assert_int_equal(CodePieces_find(images, 16, r, 8), 0);
    Images_delete(images);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(next_jump_finds_encodings),
        cmocka_unit_test(fde_of_a_function),
        cmocka_unit_test(pieces_of_split_function),
        cmocka_unit_test(pieces_of_plain_function),
    };
    return cmocka_run_group_tests_name("codepieces", tests, NULL, NULL);
}
