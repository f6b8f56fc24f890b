/* Unit tests for src/symtab.c: strings, frames and stacks interned to
 * dense ids that stay stable while the tables grow. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "symtab.h"

static int
setup(void **state)
{
    *state = Symtab_new();
    return *state ? 0 : -1;
}

static int
teardown(void **state)
{
    Symtab_delete(*state);
    return 0;
}

/* A deterministic generator, so a failure reproduces. */
static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* ---- strings ------------------------------------------------------------ */

static void
string_empty_is_zero(void **state)
{
    Symtab *st = *state;
    assert_int_equal(Symtab_string_count(st), 1);
    assert_int_equal(Symtab_intern_cstr(st, ""), SYMTAB_EMPTY);
    assert_int_equal(Symtab_intern_string(st, "ignored", 0), SYMTAB_EMPTY);
    assert_int_equal(Symtab_intern_cstr(st, NULL), SYMTAB_EMPTY);
    assert_string_equal(Symtab_string(st, SYMTAB_EMPTY), "");
    assert_int_equal(Symtab_string_count(st), 1);
}

static void
string_same_and_different(void **state)
{
    Symtab *st = *state;
    StrId main_id = Symtab_intern_cstr(st, "main");
    assert_int_not_equal(main_id, SYMTAB_EMPTY);
    assert_int_equal(Symtab_intern_cstr(st, "main"), main_id);
    /* Same bytes from a different buffer, and a prefix of a longer one. */
    char copy[] = "main";
    assert_int_equal(Symtab_intern_cstr(st, copy), main_id);
    assert_int_equal(Symtab_intern_string(st, "main.c", 4), main_id);

    StrId others[] = {
        Symtab_intern_cstr(st, "Main"),    Symtab_intern_cstr(st, "mai"),
        Symtab_intern_cstr(st, "main "),   Symtab_intern_cstr(st, "main.c"),
        Symtab_intern_cstr(st, "libc.so"), Symtab_intern_cstr(st, "\x1b[2J"),
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_not_equal(others[i], main_id);
        assert_int_not_equal(others[i], SYMTAB_EMPTY);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(others[i], others[j]);
    }
    assert_string_equal(Symtab_string(st, main_id), "main");
    assert_string_equal(Symtab_string(st, others[3]), "main.c");
    assert_string_equal(Symtab_string(st, others[5]), "\x1b[2J");
    assert_int_equal(Symtab_string_count(st), 8); /* "", main and six others */
}

static void
string_long(void **state)
{
    Symtab *st = *state;
    /* A 200 KB C++ template name; another differing only in its last byte. */
    size_t len = 200 * 1024;
    char *a = malloc(len + 1), *b = malloc(len + 1);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++)
        a[i] = "std::vector<std::map<int, long>>::"[i % 34];
    a[len] = '\0';
    memcpy(b, a, len + 1);
    b[len - 1] = '!';

    StrId ida = Symtab_intern_string(st, a, len);
    StrId idb = Symtab_intern_cstr(st, b);
    assert_int_not_equal(ida, idb);
    assert_int_equal(Symtab_intern_cstr(st, a), ida);
    assert_int_equal(strlen(Symtab_string(st, ida)), len);
    assert_memory_equal(Symtab_string(st, ida), a, len + 1);
    assert_memory_equal(Symtab_string(st, idb), b, len + 1);
    free(a);
    free(b);
}

static void
string_growth_keeps_ids(void **state)
{
    Symtab *st = *state;
    enum { N = 50000 };
    StrId *ids = malloc(N * sizeof(*ids));
    assert_non_null(ids);
    char buf[64];
    for (int i = 0; i < N; i++) {
        /* Lengths vary so the character arena grows unevenly. */
        snprintf(buf, sizeof(buf), "fn_%d_%.*s", i, i % 40,
                 "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
        ids[i] = Symtab_intern_cstr(st, buf);
        assert_int_equal(ids[i], (StrId)i + 1); /* dense, in order */
        if (i % 97 == 0)                        /* re-interning during growth */
            assert_int_equal(Symtab_intern_cstr(st, "fn_0_"), ids[0]);
    }
    assert_int_equal(Symtab_string_count(st), N + 1);
    for (int i = N - 1; i >= 0; i--) {
        snprintf(buf, sizeof(buf), "fn_%d_%.*s", i, i % 40,
                 "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
        assert_string_equal(Symtab_string(st, ids[i]), buf);
        assert_int_equal(Symtab_intern_cstr(st, buf), ids[i]);
    }
    assert_int_equal(Symtab_string_count(st), N + 1);
    assert_string_equal(Symtab_string(st, SYMTAB_EMPTY), "");
    free(ids);
}

static void
string_pointer_stable_across_growth(void **state)
{
    Symtab *st = *state;
    StrId id = Symtab_intern_cstr(st, "hello");
    const char *p = Symtab_string(st, id);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(buf, sizeof(buf), "s%d", i);
        Symtab_intern_cstr(st, buf);
    }
    assert_ptr_equal(Symtab_string(st, id), p);
}

/* ---- frames ------------------------------------------------------------- */

static void
frame_same_fields_same_id(void **state)
{
    Symtab *st = *state;
    SymtabFrame a, b;
    /* Different bytes in the padding must not matter. */
    memset(&a, 0, sizeof(a));
    memset(&b, 0xa5, sizeof(b));
    a.function = b.function = Symtab_intern_cstr(st, "main");
    a.file = b.file = Symtab_intern_cstr(st, "main.c");
    a.module = b.module = Symtab_intern_cstr(st, "/usr/bin/app");
    a.line = b.line = 42;
    a.kind = b.kind = FRAME_NATIVE;
    FrameId ida = Symtab_intern_frame(st, &a);
    assert_int_equal(Symtab_intern_frame(st, &b), ida);
    assert_int_equal(Symtab_intern_frame(st, &a), ida);
    assert_int_equal(Symtab_frame_count(st), 1);

    const SymtabFrame *f = Symtab_frame(st, ida);
    assert_non_null(f);
    assert_int_equal(f->function, a.function);
    assert_int_equal(f->file, a.file);
    assert_int_equal(f->module, a.module);
    assert_int_equal(f->line, 42);
    assert_int_equal(f->kind, FRAME_NATIVE);
}

static void
frame_each_field_matters(void **state)
{
    Symtab *st = *state;
    SymtabFrame base = {
        .function = Symtab_intern_cstr(st, "f"),
        .file = Symtab_intern_cstr(st, "f.c"),
        .module = Symtab_intern_cstr(st, "libf.so"),
        .line = 10,
        .kind = FRAME_NATIVE,
    };
    SymtabFrame v[7];
    for (size_t i = 0; i < 7; i++)
        v[i] = base;
    v[1].function = Symtab_intern_cstr(st, "g");
    v[2].file = Symtab_intern_cstr(st, "g.c");
    v[3].module = Symtab_intern_cstr(st, "libg.so");
    v[4].line = 11;
    v[5].kind = FRAME_INLINED;
    v[6].kind = FRAME_PYTHON;
    FrameId ids[7];
    for (size_t i = 0; i < 7; i++) {
        ids[i] = Symtab_intern_frame(st, &v[i]);
        for (size_t j = 0; j < i; j++)
            if (ids[i] == ids[j])
                FAIL("frames %zu and %zu differ but share id %u", i, j, (unsigned)ids[i]);
    }
    /* Unknown everything is a frame too, distinct from the others. */
    SymtabFrame unknown = {0};
    FrameId idu = Symtab_intern_frame(st, &unknown);
    for (size_t i = 0; i < 7; i++)
        assert_int_not_equal(idu, ids[i]);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(Symtab_intern_frame(st, &v[i]), ids[i]);
        const SymtabFrame *f = Symtab_frame(st, ids[i]);
        assert_non_null(f);
        assert_true(f->function == v[i].function && f->file == v[i].file &&
                    f->module == v[i].module && f->line == v[i].line && f->kind == v[i].kind);
    }
    assert_int_equal(Symtab_frame_count(st), 8);
}

static void
frame_kinds_at_scale(void **state)
{
    Symtab *st = *state;
    /* The same function and line as a native, an inlined and a Python
     * frame are three frames, also among thousands. */
    enum { LINES = 10000 };
    StrId fn = Symtab_intern_cstr(st, "fn");
    for (uint32_t line = 0; line < LINES; line++)
        for (uint8_t kind = 0; kind < 3; kind++) {
            SymtabFrame f = {fn, SYMTAB_EMPTY, SYMTAB_EMPTY, line, kind};
            assert_int_equal(Symtab_intern_frame(st, &f), line * 3 + kind);
        }
    assert_int_equal(Symtab_frame_count(st), 3 * LINES);
    for (uint32_t id = 0; id < 3 * LINES; id++) {
        const SymtabFrame *f = Symtab_frame(st, id);
        assert_non_null(f);
        assert_int_equal(f->line, id / 3);
        assert_int_equal(f->kind, id % 3);
    }
}

static void
frame_growth_keeps_ids(void **state)
{
    Symtab *st = *state;
    enum { N = 20000 };
    FrameId *ids = malloc(N * sizeof(*ids));
    assert_non_null(ids);
    StrId fn = Symtab_intern_cstr(st, "fn"), file = Symtab_intern_cstr(st, "file.c");
    for (uint32_t i = 0; i < N; i++) {
        SymtabFrame f = {fn, file, SYMTAB_EMPTY, i, (uint8_t)(i % 3)};
        ids[i] = Symtab_intern_frame(st, &f);
        assert_int_equal(ids[i], i);
    }
    for (uint32_t i = 0; i < N; i++) {
        SymtabFrame f = {fn, file, SYMTAB_EMPTY, i, (uint8_t)(i % 3)};
        assert_int_equal(Symtab_intern_frame(st, &f), ids[i]);
        const SymtabFrame *got = Symtab_frame(st, ids[i]);
        assert_non_null(got);
        assert_int_equal(got->line, i);
        assert_int_equal(got->kind, i % 3);
    }
    assert_int_equal(Symtab_frame_count(st), N);
    free(ids);
}

/* ---- stacks ------------------------------------------------------------- */

static void
stack_order_matters(void **state)
{
    Symtab *st = *state;
    const FrameId abc[] = {1, 2, 3}, cba[] = {3, 2, 1}, ab[] = {1, 2}, abcc[] = {1, 2, 3, 3};
    StackId s1 = Symtab_intern_stack(st, abc, 3);
    StackId s2 = Symtab_intern_stack(st, cba, 3);
    StackId s3 = Symtab_intern_stack(st, ab, 2);
    StackId s4 = Symtab_intern_stack(st, abcc, 4);
    assert_int_not_equal(s1, s2);
    assert_int_not_equal(s1, s3);
    assert_int_not_equal(s1, s4);
    assert_int_not_equal(s2, s3);
    assert_int_not_equal(s3, s4);
    /* The same frames again, from another array. */
    FrameId again[] = {1, 2, 3};
    assert_int_equal(Symtab_intern_stack(st, again, 3), s1);
    assert_int_equal(Symtab_stack_count(st), 4);

    size_t count = 0;
    const FrameId *frames = Symtab_stack(st, s2, &count);
    assert_int_equal(count, 3);
    assert_non_null(frames);
    assert_memory_equal(frames, cba, sizeof(cba));
}

static void
stack_prefixes_are_distinct(void **state)
{
    Symtab *st = *state;
    /* Every prefix of one deep stack (a recursion seen at each depth) is
     * its own stack. */
    enum { DEPTH = 2000 };
    FrameId *frames = malloc(DEPTH * sizeof(*frames));
    StackId *ids = malloc((DEPTH + 1) * sizeof(*ids));
    assert_non_null(frames);
    assert_non_null(ids);
    for (size_t i = 0; i < DEPTH; i++)
        frames[i] = (FrameId)(i % 3);
    /* Longest, shortest, next longest, ...: each is looked up both among
     * longer and among shorter stacks. */
    for (size_t i = 0; i <= DEPTH; i++) {
        size_t n = i % 2 ? i / 2 : DEPTH - i / 2;
        ids[n] = Symtab_intern_stack(st, frames, n);
    }
    assert_int_equal(Symtab_stack_count(st), DEPTH + 1);
    for (size_t n = 0; n <= DEPTH; n++) {
        size_t count = 0;
        Symtab_stack(st, ids[n], &count);
        assert_int_equal(count, n);
        assert_int_equal(Symtab_intern_stack(st, frames, n), ids[n]);
    }
    free(ids);
    free(frames);
}

static void
stack_empty(void **state)
{
    Symtab *st = *state;
    /* A sample that could not be unwound has no frames. */
    FrameId one_frame[1] = {0};
    StackId one = Symtab_intern_stack(st, one_frame, 1);
    StackId empty = Symtab_intern_stack(st, one_frame, 0);
    assert_int_not_equal(one, empty); /* frame 0 is not "no frame" */
    assert_int_equal(Symtab_intern_stack(st, one_frame, 0), empty);
    FrameId other[1] = {7};
    assert_int_equal(Symtab_intern_stack(st, other, 0), empty);
    size_t count = 99;
    Symtab_stack(st, empty, &count);
    assert_int_equal(count, 0);
    const FrameId *frames = Symtab_stack(st, one, &count);
    assert_int_equal(count, 1);
    assert_int_equal(frames[0], 0);
    assert_int_equal(Symtab_stack_count(st), 2);
}

static void
stack_empty_in_new_table(void **state)
{
    Symtab *st = *state;
    FrameId none[1] = {0};
    StackId empty = Symtab_intern_stack(st, none, 0);
    assert_int_equal(Symtab_intern_stack(st, none, 0), empty);
    size_t count = 99;
    /* A valid pointer even before any frame is stored (clang's UBSan
     * caught NULL + 0 here, reading a recording of empty stacks). */
    assert_non_null(Symtab_stack(st, empty, &count));
    assert_int_equal(count, 0);
}

static void
stack_growth_keeps_ids(void **state)
{
    Symtab *st = *state;
    enum { N = 10000, MAX_DEPTH = 64 };
    StackId *ids = malloc(N * sizeof(*ids));
    assert_non_null(ids);
    FrameId frames[MAX_DEPTH];
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < N; i++) {
        /* Each stack starts with its own index, so all N are distinct. */
        size_t depth = 1 + (size_t)(next_random(&seed) % MAX_DEPTH);
        frames[0] = (FrameId)i;
        for (size_t d = 1; d < depth; d++)
            frames[d] = (FrameId)(next_random(&seed) % 100);
        ids[i] = Symtab_intern_stack(st, frames, depth);
        assert_int_equal(ids[i], (StackId)i);
    }
    assert_int_equal(Symtab_stack_count(st), N);
    seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < N; i++) {
        size_t depth = 1 + (size_t)(next_random(&seed) % MAX_DEPTH);
        frames[0] = (FrameId)i;
        for (size_t d = 1; d < depth; d++)
            frames[d] = (FrameId)(next_random(&seed) % 100);
        size_t count = 0;
        const FrameId *got = Symtab_stack(st, ids[i], &count);
        assert_int_equal(count, depth);
        assert_memory_equal(got, frames, depth * sizeof(FrameId));
        assert_int_equal(Symtab_intern_stack(st, frames, depth), ids[i]);
    }
    assert_int_equal(Symtab_stack_count(st), N);
    free(ids);
}

static void
delete_null(void **state)
{
    (void)state;
    Symtab_delete(NULL);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        TEST(string_empty_is_zero),
        TEST(string_same_and_different),
        TEST(string_long),
        TEST(string_growth_keeps_ids),
        TEST(string_pointer_stable_across_growth),
        TEST(frame_same_fields_same_id),
        TEST(frame_each_field_matters),
        TEST(frame_kinds_at_scale),
        TEST(frame_growth_keeps_ids),
        TEST(stack_order_matters),
        TEST(stack_prefixes_are_distinct),
        TEST(stack_empty),
        TEST(stack_empty_in_new_table),
        TEST(stack_growth_keeps_ids),
        cmocka_unit_test(delete_null),
    };
    return cmocka_run_group_tests_name("symtab", tests, NULL, NULL);
}
