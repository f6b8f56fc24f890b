/* Unit tests for src/pylayout.c: the _Py_DebugOffsets of real interpreters
 * (the words at the start of _PyRuntime, copied from the .PyRuntime
 * section of Debian's python3.13 3.13.18, python3.14 3.14.10 and
 * python3.15 3.15.2 and of pyenv's 3.13.0) give the offsets their headers
 * say; a struct read with the wrong version's layout, a free-threaded or
 * unknown one, is turned down. The .AsyncioDebug offsets of Debian's
 * 3.14 and 3.15 (src/pytasks.c) are taken with their interpreter only. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "pylayout.h"
#include "pytasks.h"

/* Word 0 (the cookie) is written by blob(). */
static const uint64_t debian_313[73] = {
    0,    51188464, 0,    283408, 608, 632, 194984, 7272, 7264, 7344, 7400, 7656, 7640, 7648, 16,
    7752, 0,        7768, 7760,   312, 0,   8,      16,   72,   152,  160,  232,  32,   80,   8,
    0,    56,       72,   70,     208, 112, 120,    128,  136,  68,   52,   96,   104,  200,  16,
    8,    416,      24,   88,     168, 32,  24,     16,   40,   24,   16,   48,   32,   40,   24,
    16,   32,       16,   24,     40,  16,  32,     64,   32,   16,   40,   240,  200};
static const uint64_t pyenv_313[73] = {
    0,    51183856, 0,    283320, 608, 632, 194968, 7272, 7264, 7344, 7400, 7656, 7640, 7648, 16,
    7752, 0,        7768, 7760,   304, 0,   8,      16,   72,   152,  160,  232,  32,   80,   8,
    0,    56,       72,   70,     208, 112, 120,    128,  136,  68,   52,   96,   104,  200,  16,
    8,    416,      24,   88,     168, 32,  24,     16,   40,   24,   16,   48,   32,   40,   24,
    16,   32,       16,   24,     40,  16,  32,     64,   32,   16,   40,   240,  200};
static const uint64_t debian_314[95] = {
    0,    51251952, 0,    316616, 784,  808,  225864, 7280, 7272, 7344, 7360, 7408, 7688, 7672,
    7680, 16,       7784, 0,      7800, 7792, 7992,   0,    832,  0,    8,    16,   72,   152,
    160,  232,      32,   88,     8,    0,    56,     80,   74,   64,   0,    216,  112,  120,
    128,  136,      68,   52,     96,   104,  208,    0,    16,   8,    416,  24,   88,   168,
    40,   32,       16,   40,     24,   16,   200,    24,   40,   32,   48,   32,   40,   24,
    16,   32,       16,   24,     40,   16,   32,     64,   32,   16,   40,   264,  192,  160,
    24,   72,       67,   0,      8,    24,   304,    8076, 0,    4,    512};
static const uint64_t debian_315[111] = {
    0,    51315440, 0,    346568, 912,  936,  226240, 7272, 7264, 7336, 7352, 7400, 7592, 7576,
    7584, 16,       7736, 0,      7752, 7744, 7944,   0,    888,  0,    8,    16,   72,   80,
    88,   96,       176,  184,    256,  32,   36,     40,   136,  288,  0,    88,   8,    0,
    56,   80,       74,   64,     0,    216,  112,    120,  128,  136,  68,   52,   96,   104,
    208,  0,        16,   8,      424,  24,   88,     168,  32,   288,  944,  888,  40,   32,
    16,   40,       24,   16,     200,  24,   40,     32,   48,   32,   40,   24,   16,   32,
    16,   24,       40,   16,     32,   64,   32,     16,   40,   56,   176,  112,  120,  1120,
    104,  160,      24,   72,     67,   0,    8,      24,   344,  8028, 0,    4,    512};

/* The bytes at _PyRuntime: the words after the cookie, zeros after them. */
static void
blob(uint8_t out[PY_DEBUG_OFFSETS_MAX_BYTES], const uint64_t *words, size_t count)
{
    memset(out, 0, PY_DEBUG_OFFSETS_MAX_BYTES);
    memcpy(out, words, count * 8);
    memcpy(out, "xdebugpy", 8);
}

static PyDebugOffsetsResult
decode(const uint8_t *bytes, uint64_t runtime_size, PyLayout *l)
{
    uint32_t version = 0;
    memset(l, 0, sizeof(*l));
    return PyLayout_from_debug_offsets(bytes, PY_DEBUG_OFFSETS_MAX_BYTES, runtime_size, &version,
                                       l);
}

/* What dump --tasks reads, the same in Debian's 3.14.10 and 3.15.2. */
static void
assert_tasks_fields(const PyLayout *l)
{
    assert_int_equal(l->fr_stackpointer, 64);
    assert_int_equal(l->gen_iframe, 72);
    assert_int_equal(l->gen_frame_state, 67);
    assert_int_equal(l->set_used, 24);
    assert_int_equal(l->set_table, 40);
    assert_int_equal(l->set_mask, 32);
    assert_int_equal(l->long_tag, 16);
    assert_int_equal(l->long_digits, 24);
}

/* What every 3.13+ layout shares (GIL builds, x86-64). */
static void
assert_common(const PyLayout *l)
{
    assert_int_equal(l->lines, PY_LINES_LOCATIONS);
    assert_true(l->gil_in_interp);
    assert_int_equal(l->rt_interpreters_head, l->minor == 13 ? 632 : l->minor == 14 ? 808 : 936);
    assert_int_equal(l->is_next, 7264 + (l->minor == 14 ? 8 : 0));
    assert_int_equal(l->ts_next, 8);
    assert_int_equal(l->ts_frame, 72);
    assert_int_equal(l->fr_previous, 8);
    assert_int_equal(l->fr_code, 0);
    assert_int_equal(l->fr_instr, 56);
    assert_int_equal(l->co_filename, 112);
    assert_int_equal(l->co_name, 120);
    assert_int_equal(l->co_qualname, 128);
    assert_int_equal(l->co_linetable, 136);
    assert_int_equal(l->co_firstlineno, 68);
    assert_int_equal(l->ob_type, 8);
    assert_int_equal(l->str_length, 16);
    assert_int_equal(l->str_state, 32);
    assert_int_equal(l->ascii_size, 40);
    assert_int_equal(l->compact_size, 56);
    assert_int_equal(l->bytes_size, 16);
    assert_int_equal(l->bytes_data, 32);
    assert_true(l->ts_read <= PY_TS_READ_MAX && l->fr_read <= PY_FRAME_READ_MAX);
    assert_true(l->ts_read >= l->ts_datastack_top + 8 && l->fr_read > l->fr_owner);
    /* Locals (dump --locals): the code object's names and kinds, as in
     * pyenv 3.13.0's DWARF; a tuple's items after 3.14's ob_hash. */
    assert_int_equal(l->co_localsnames, 96);
    assert_int_equal(l->co_localskinds, 104);
    assert_int_equal(l->co_nlocals, 0);
    assert_int_equal(l->co_cellvars, 0);
    assert_int_equal(l->tuple_items, l->minor == 13 ? 24 : 32);
    /* The slots follow the frame's head: 72 bytes in 3.13, 80 from 3.14. */
    assert_int_equal(l->fr_localsplus, l->minor == 13 ? 72 : 80);
}

static void
debian_313_offsets(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    blob(b, debian_313, 73);
    assert_int_equal(decode(b, 283408, &l), PY_OFFSETS_OK);
    assert_int_equal(l.minor, 13);
    assert_common(&l);
    assert_int_equal(l.gil_locked, 7768);
    assert_int_equal(l.gil_holder, 7760);
    assert_int_equal(l.ts_thread_id, 152);
    assert_int_equal(l.ts_native_thread_id, 160);
    assert_int_equal(l.is_modules, 7656); /* sys.modules */
    assert_int_equal(l.ts_datastack_chunk, 232);
    assert_int_equal(l.ts_datastack_top, 240);
    assert_int_equal(l.fr_owner, 70);
    assert_int_equal(l.co_code_adaptive, 200);
    assert_int_equal(l.code_tag_bits, 0);
    assert_int_equal(l.gen_iframe, 0); /* no asyncio offsets before 3.14 */
    assert_int_equal(l.fr_stackpointer, 0);
    /* pyenv's plain build of 3.13.0: a smaller runtime, the same offsets. */
    PyLayout p;
    blob(b, pyenv_313, 73);
    assert_int_equal(decode(b, 283320, &p), PY_OFFSETS_OK);
    assert_int_equal(p.ts_native_thread_id, 160);
    assert_int_equal(p.fr_owner, 70);
}

static void
debian_314_offsets(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    blob(b, debian_314, 95);
    assert_int_equal(decode(b, 316616, &l), PY_OFFSETS_OK);
    assert_int_equal(l.minor, 14);
    assert_common(&l);
    assert_int_equal(l.gil_locked, 7800);
    assert_int_equal(l.gil_holder, 7792);
    assert_int_equal(l.ts_native_thread_id, 160);
    assert_int_equal(l.is_modules, 7688); /* sys.modules */
    assert_int_equal(l.ts_datastack_chunk, 232);
    assert_int_equal(l.fr_owner, 74);
    assert_int_equal(l.co_code_adaptive, 208);
    assert_int_equal(l.code_tag_bits, 3); /* f_executable is a _PyStackRef */
    assert_tasks_fields(&l);
}

static void
debian_315_offsets(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    blob(b, debian_315, 111);
    assert_int_equal(decode(b, 346568, &l), PY_OFFSETS_OK);
    assert_int_equal(l.minor, 15);
    assert_common(&l);
    assert_int_equal(l.ts_thread_id, 176);
    assert_int_equal(l.ts_native_thread_id, 184);
    assert_int_equal(l.is_modules, 7592); /* sys.modules */
    assert_int_equal(l.ts_datastack_chunk, 256);
    assert_int_equal(l.ts_datastack_top, 264);
    assert_int_equal(l.fr_owner, 74);
    assert_int_equal(l.co_code_adaptive, 208);
    assert_int_equal(l.code_tag_bits, 3);
    assert_tasks_fields(&l);
}

/* The size of _PyRuntime the struct declares must be the symbol's. */
static void
runtime_size_checked(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    blob(b, debian_314, 95);
    assert_int_equal(decode(b, 316616 + 8, &l), PY_OFFSETS_INVALID);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_OK); /* size unknown: not checked */
}

static void
not_debug_offsets(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    blob(b, debian_313, 73);
    b[0] = 'y';
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_NONE);
}

static void
free_threaded_refused(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    uint64_t words[95];
    memcpy(words, debian_314, sizeof(words));
    words[2] = 1;
    blob(b, words, 95);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_FREE_THREADED);
}

/* One version's struct declared as another's: the checks catch it. */
static void
wrong_layout_refused(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    uint64_t w13[73], w14[95], w15[111];
    memcpy(w13, debian_313, sizeof(w13));
    memcpy(w14, debian_314, sizeof(w14));
    memcpy(w15, debian_315, sizeof(w15));
    w13[1] = 0x030e0af0; /* 3.13's words, declared 3.14 */
    blob(b, w13, 73);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_INVALID);
    w14[1] = 0x030d12f0; /* 3.14's words, declared 3.13 */
    blob(b, w14, 95);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_INVALID);
    w15[1] = 0x030e0af0; /* 3.15's words, declared 3.14 */
    blob(b, w15, 111);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_INVALID);
}

/* The value layouts pylocals.c assumes are checked against the declared
 * ones: a mismatch leaves locals out (fr_localsplus 0), frames still read. */
static void
locals_layout_checked(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    uint64_t w[95];
    memcpy(w, debian_314, sizeof(w));
    w[70] = 24; /* float_object.ob_fval moved */
    blob(b, w, 95);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_OK);
    assert_int_equal(l.fr_localsplus, 0);
    assert_int_equal(l.fr_owner, 74);
    memcpy(w, debian_314, sizeof(w));
    w[35] = 72; /* localsplus not the frame's last member */
    blob(b, w, 95);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_OK);
    assert_int_equal(l.fr_localsplus, 0);
    memcpy(w, debian_314, sizeof(w));
    blob(b, w, 95);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_OK);
    assert_int_equal(l.fr_localsplus, 80);
}

/* A version after the newest known: taken when its struct is the newest
 * known one (fields added at its end), refused with UNKNOWN otherwise. */
static void
newer_version(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l;
    uint64_t same[112], shifted[112], old[95];
    memcpy(same, debian_315, sizeof(debian_315));
    same[111] = 4242; /* a field appended */
    same[1] = 0x031000a0;
    blob(b, same, 112);
    assert_int_equal(decode(b, 346568, &l), PY_OFFSETS_OK);
    assert_int_equal(l.minor, 16);
    assert_int_equal(l.ts_native_thread_id, 184);
    /* A field inserted in the thread state moves everything after it. */
    memcpy(shifted, debian_315, 25 * 8);
    shifted[25] = 0;
    memcpy(shifted + 26, debian_315 + 25, (111 - 25) * 8);
    shifted[1] = 0x031000a0;
    blob(b, shifted, 112);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_UNKNOWN);
    memcpy(old, debian_314, sizeof(old));
    old[1] = 0x031000a0;
    blob(b, old, 95);
    assert_int_equal(decode(b, 0, &l), PY_OFFSETS_UNKNOWN);
}

/* Truncated input: never read past len. */
static void
short_input(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    uint32_t version;
    PyLayout l;
    blob(b, debian_315, 111);
    assert_int_equal(PyLayout_from_debug_offsets(b, 16, 0, &version, &l), PY_OFFSETS_NONE);
    assert_int_equal(PyLayout_from_debug_offsets(b, 110 * 8, 0, &version, &l), PY_OFFSETS_INVALID);
    assert_int_equal(version, 0x030f02f0);
}

static void
table_versions(void **state)
{
    (void)state;
    PyLayout l;
    for (int minor = 8; minor <= 12; minor++) {
        assert_true(PyLayout_for_minor(minor, &l));
        assert_int_equal(l.minor, minor);
        assert_int_equal(l.ob_type, 8);
        assert_true(l.ts_read <= PY_TS_READ_MAX && l.fr_read <= PY_FRAME_READ_MAX);
        assert_true(l.co_code_adaptive <= PY_CODE_READ_MAX);
        /* Locals, from the DWARF of pyenv's builds: f_localsplus of a
         * frame object before 3.11, localsplus of an interpreter frame
         * after. */
        assert_int_equal(l.fr_localsplus, minor <= 9 ? 360 : minor == 10 ? 352 : 72);
        assert_int_equal(l.co_localsnames, minor <= 10 ? 72 : 96);
        assert_int_equal(l.co_localskinds, minor <= 10 ? 0 : 104);
        assert_int_equal(l.co_nlocals, minor <= 10 ? 28 : 0);
        assert_int_equal(l.co_cellvars, minor <= 10 ? 88 : 0);
        assert_int_equal(l.tuple_items, 24);
    }
    assert_false(PyLayout_for_minor(7, &l));
    assert_false(PyLayout_for_minor(13, &l)); /* from its debug offsets instead */
}

/* The .AsyncioDebug sections of Debian's _asyncio (3.14.10, an extension
 * module) and python3.15 (3.15.2, built in). */
static const uint64_t asyncio_314[13] = {168,    136,   96,  108, 109, 128, 152,
                                         225864, 10880, 936, 864, 872, 880};
static const uint64_t asyncio_315[13] = {168,    136,   96,   108,  109,  128, 152,
                                         226240, 10856, 1104, 1024, 1032, 1048};

static void
asyncio_offsets(void **state)
{
    (void)state;
    uint8_t b[PY_DEBUG_OFFSETS_MAX_BYTES];
    PyLayout l314, l315, l313;
    blob(b, debian_314, 95);
    assert_int_equal(decode(b, 0, &l314), PY_OFFSETS_OK);
    blob(b, debian_315, 111);
    assert_int_equal(decode(b, 0, &l315), PY_OFFSETS_OK);
    blob(b, debian_313, 73);
    assert_int_equal(decode(b, 0, &l313), PY_OFFSETS_OK);
    assert_true(PyTasks_supported(&l314));
    assert_true(PyTasks_supported(&l315));
    assert_false(PyTasks_supported(&l313));

    PyAsyncioOffsets o;
    uint64_t w[13];
    memcpy(w, asyncio_314, sizeof(w));
    assert_true(PyTasks_parse_offsets((const uint8_t *)w, sizeof(w), &l314, &o));
    assert_int_equal(o.task_size, 168);
    assert_int_equal(o.task_name, 136);
    assert_int_equal(o.task_coro, 128);
    assert_int_equal(o.task_node, 152);
    assert_int_equal(o.is_tasks_head, 10880);
    assert_int_equal(o.ts_running_task, 872);
    assert_int_equal(o.ts_tasks_head, 880);
    /* Another interpreter's section: its interpreter size is not this one's. */
    assert_false(PyTasks_parse_offsets((const uint8_t *)w, sizeof(w), &l315, &o));
    assert_false(PyTasks_parse_offsets((const uint8_t *)w, sizeof(w) - 8, &l314, &o));
    memcpy(w, asyncio_315, sizeof(w));
    assert_true(PyTasks_parse_offsets((const uint8_t *)w, sizeof(w), &l315, &o));
    assert_int_equal(o.ts_tasks_head, 1048);
    w[6] = 160; /* the list node would end past the task */
    assert_false(PyTasks_parse_offsets((const uint8_t *)w, sizeof(w), &l315, &o));
    memcpy(w, asyncio_315, sizeof(w));
    w[12] = 1100; /* the thread's list head past its state */
    assert_false(PyTasks_parse_offsets((const uint8_t *)w, sizeof(w), &l315, &o));
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(debian_313_offsets),    cmocka_unit_test(debian_314_offsets),
        cmocka_unit_test(debian_315_offsets),    cmocka_unit_test(runtime_size_checked),
        cmocka_unit_test(not_debug_offsets),     cmocka_unit_test(free_threaded_refused),
        cmocka_unit_test(wrong_layout_refused),  cmocka_unit_test(newer_version),
        cmocka_unit_test(short_input),           cmocka_unit_test(table_versions),
        cmocka_unit_test(locals_layout_checked), cmocka_unit_test(asyncio_offsets),
    };
    return cmocka_run_group_tests_name("pylayout", tests, NULL, NULL);
}
