/* Unit tests for src/pylines.c: the line tables of one function as
 * CPython 3.9 (lnotab), 3.10 (linetable), 3.12 and 3.15 (location
 * tables) compiled it, against the lines those interpreters themselves
 * give for every instruction (dis.findlinestarts before 3.10,
 * co_lines() after; tests/unit/pylines_gen.py made the tables below);
 * and truncated or hostile tables read within bounds. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "pylines.h"

typedef struct Expect {
    int32_t lasti;
    int line;
} Expect;

/* CPython 3.9, first line 2. */
static const uint8_t table_39[] = {0x00, 0x01, 0x08, 0x01, 0x08, 0x01, 0x06, 0x01, 0x06,
                                   0xff, 0x08, 0x03, 0x04, 0x01, 0x02, 0x01, 0x02, 0xff};
static const Expect expect_39[] = {{0, 3},  {2, 3},  {4, 3},  {6, 3},   {8, 4},  {10, 4},
                                   {12, 4}, {14, 4}, {16, 5}, {18, 5},  {20, 5}, {22, 6},
                                   {24, 6}, {26, 6}, {28, 5}, {30, 5},  {32, 5}, {34, 5},
                                   {36, 8}, {38, 8}, {40, 9}, {42, 10}, {44, 9}, {46, 9}};

/* CPython 3.10, first line 2. */
static const uint8_t table_310[] = {0x08, 0x01, 0x08, 0x01, 0x06, 0x01, 0x06, 0x01,
                                    0x06, 0xff, 0x02, 0x04, 0x02, 0x01, 0x04, 0xff,
                                    0x04, 0xff, 0x02, 0x01, 0x02, 0x01, 0x04, 0xff};
static const Expect expect_310[] = {{0, 3},  {1, 3},  {2, 3},  {3, 3},   {4, 4},   {5, 4},  {6, 4},
                                    {7, 4},  {8, 5},  {9, 5},  {10, 5},  {11, 6},  {12, 6}, {13, 6},
                                    {14, 5}, {15, 5}, {16, 5}, {17, 9},  {18, 10}, {19, 9}, {20, 9},
                                    {21, 8}, {22, 8}, {23, 9}, {24, 10}, {25, 9},  {26, 9}};

/* CPython 3.12, first line 2. */
static const uint8_t table_312[] = {
    0x80, 0x00, 0xd8, 0x08, 0x09, 0x88, 0x41, 0x89, 0x05, 0x80, 0x41, 0xd8, 0x07, 0x08, 0x88,
    0x31, 0x82, 0x75, 0xe4, 0x16, 0x1b, 0x98, 0x41, 0x93, 0x68, 0xf6, 0x03, 0x01, 0x0d, 0x20,
    0xd8, 0x11, 0x12, 0xf0, 0x03, 0x00, 0x0e, 0x0f, 0x90, 0x11, 0x8b, 0x55, 0xf0, 0x00, 0x01,
    0x0d, 0x20, 0x88, 0x01, 0xf0, 0x00, 0x01, 0x0d, 0x20, 0xf0, 0x08, 0x00, 0x0d, 0x0e, 0xd8,
    0x0c, 0x0d, 0xf0, 0x03, 0x01, 0x0c, 0x0f, 0xf0, 0x00, 0x01, 0x05, 0x0f, 0xf0, 0x03, 0x00,
    0x0d, 0x11, 0x88, 0x01, 0xd8, 0x0c, 0x0d, 0xd8, 0x0c, 0x0d, 0xf0, 0x03, 0x01, 0x0c, 0x0f,
    0xf0, 0x00, 0x01, 0x05, 0x0f, 0xf9, 0xf2, 0x09, 0x01, 0x0d, 0x20};
static const Expect expect_312[] = {
    {0, 2},   {1, 3},  {2, 3},  {3, 3},   {4, 3},   {5, 3},  {6, 4},  {7, 4},  {8, 4},
    {9, 4},   {10, 4}, {11, 6}, {12, 6},  {13, 6},  {14, 6}, {15, 6}, {16, 6}, {17, 6},
    {18, 6},  {19, 6}, {20, 6}, {21, 5},  {22, 5},  {23, 5}, {24, 5}, {25, 5}, {26, 5},
    {27, 5},  {28, 6}, {29, 5}, {30, 5},  {31, 5},  {32, 5}, {33, 5}, {34, 5}, {35, 5},
    {36, 5},  {37, 5}, {38, 9}, {39, 10}, {40, 9},  {41, 9}, {42, 8}, {43, 8}, {44, 9},
    {45, 10}, {46, 9}, {47, 9}, {48, -1}, {49, -1}, {50, 5}, {51, 5}, {52, 5}};

/* CPython 3.15, first line 2. */
static const uint8_t table_315[] = {
    0x81, 0x00, 0xd8, 0x08, 0x09, 0x8d, 0x05, 0x80, 0x41, 0xd8, 0x07, 0x08, 0x88, 0x31, 0x84,
    0x75, 0xe4, 0x16, 0x1b, 0x98, 0x41, 0x93, 0x68, 0xf3, 0x03, 0x01, 0x0d, 0x20, 0xdb, 0x16,
    0x1e, 0x90, 0x11, 0xf0, 0x03, 0x00, 0x0e, 0x0f, 0x90, 0x11, 0x8f, 0x55, 0x88, 0x55, 0xd9,
    0x16, 0x1e, 0xf0, 0x03, 0x00, 0x09, 0x0a, 0xf0, 0x00, 0x01, 0x0d, 0x20, 0xf0, 0x08, 0x00,
    0x0d, 0x0e, 0xd8, 0x0c, 0x0d, 0xf0, 0x03, 0x01, 0x0c, 0x0f, 0xf0, 0x00, 0x01, 0x05, 0x0f,
    0xf0, 0x03, 0x00, 0x0d, 0x11, 0x88, 0x01, 0xd8, 0x0c, 0x0d, 0xd8, 0x0c, 0x0d, 0xf0, 0x03,
    0x01, 0x0c, 0x0f, 0xf0, 0x00, 0x01, 0x05, 0x0f, 0xf9, 0xf2, 0x09, 0x01, 0x0d, 0x20};
static const Expect expect_315[] = {
    {0, 2},  {1, 2},   {2, 3},   {3, 3},  {4, 3},  {5, 3},  {6, 3},  {7, 3},  {8, 3},   {9, 3},
    {10, 4}, {11, 4},  {12, 4},  {13, 4}, {14, 4}, {15, 4}, {16, 4}, {17, 6}, {18, 6},  {19, 6},
    {20, 6}, {21, 6},  {22, 6},  {23, 6}, {24, 6}, {25, 6}, {26, 6}, {27, 5}, {28, 5},  {29, 5},
    {30, 5}, {31, 6},  {32, 6},  {33, 6}, {34, 6}, {35, 6}, {36, 5}, {37, 5}, {38, 5},  {39, 5},
    {40, 5}, {41, 5},  {42, 5},  {43, 5}, {44, 5}, {45, 5}, {46, 5}, {47, 6}, {48, 6},  {49, 5},
    {50, 5}, {51, 9},  {52, 10}, {53, 9}, {54, 9}, {55, 8}, {56, 8}, {57, 9}, {58, 10}, {59, 9},
    {60, 9}, {61, -1}, {62, -1}, {63, 5}, {64, 5}, {65, 5}};

static void
check(PyLineFormat format, const uint8_t *table, size_t len, int first, const Expect *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int got = PyLines_line(format, table, len, first, e[i].lasti);
        if (got != e[i].line)
            FAIL("lasti %d: line %d, want %d", (int)e[i].lasti, got, e[i].line);
    }
}

#define CHECK(format, v, first)                                                                    \
    check(format, table_##v, sizeof(table_##v), first, expect_##v,                                 \
          sizeof(expect_##v) / sizeof(expect_##v[0]))

static void
lines_39(void **state)
{
    (void)state;
    CHECK(PY_LINES_LNOTAB, 39, 2);
}

static void
lines_310(void **state)
{
    (void)state;
    CHECK(PY_LINES_LINETABLE, 310, 2);
}

static void
lines_312(void **state)
{
    (void)state;
    CHECK(PY_LINES_LOCATIONS, 312, 2);
}

static void
lines_315(void **state)
{
    (void)state;
    CHECK(PY_LINES_LOCATIONS, 315, 2);
}

/* Every prefix of each table, and each table with its bytes flipped, is
 * read without going past its end (the sanitizer build checks the reads)
 * and answers a line or -1. */
static void
hostile_tables(void **state)
{
    (void)state;
    const uint8_t *tables[] = {table_39, table_310, table_312, table_315};
    size_t lens[] = {sizeof(table_39), sizeof(table_310), sizeof(table_312), sizeof(table_315)};
    PyLineFormat formats[] = {PY_LINES_LNOTAB, PY_LINES_LINETABLE, PY_LINES_LOCATIONS,
                              PY_LINES_LOCATIONS};
    uint8_t buf[256];
    for (size_t t = 0; t < 4; t++) {
        for (size_t len = 0; len <= lens[t]; len++) {
            uint8_t *copy = malloc(len ? len : 1); /* exact size: overreads show */
            memcpy(copy, tables[t], len);
            for (int32_t lasti = -1; lasti < 80; lasti++) {
                int line = PyLines_line(formats[t], copy, len, 2, lasti);
                assert_true(line == -1 || (line >= -300 && line < 400));
            }
            free(copy);
        }
        for (size_t i = 0; i < lens[t] && lens[t] <= sizeof(buf); i++) {
            memcpy(buf, tables[t], lens[t]);
            buf[i] ^= 0xff;
            for (int32_t lasti = 0; lasti < 80; lasti++)
                PyLines_line(formats[t], buf, lens[t], 2, lasti);
        }
    }
    assert_int_equal(PyLines_line(PY_LINES_LOCATIONS, NULL, 0, 2, 0), -1);
    assert_int_equal(PyLines_line(PY_LINES_LOCATIONS, table_312, sizeof(table_312), 2, -1), -1);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_39),  cmocka_unit_test(lines_310),      cmocka_unit_test(lines_312),
        cmocka_unit_test(lines_315), cmocka_unit_test(hostile_tables),
    };
    return cmocka_run_group_tests_name("pylines", tests, NULL, NULL);
}
