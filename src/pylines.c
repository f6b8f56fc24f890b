#include "config.h"

#include "pylines.h"

#include <stdbool.h>

/* 3.11+ location table varints: 6 bits a byte, 0x40 = more. */
static bool
read_varint(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (*p >= end || shift > 28)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 63) << shift;
        shift += 6;
        if (!(b & 64))
            break;
    }
    *out = v;
    return true;
}

static bool
read_svarint(const uint8_t **p, const uint8_t *end, int32_t *out)
{
    uint32_t v;
    if (!read_varint(p, end, &v))
        return false;
    *out = (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
    return true;
}

/* 3.11+: entries of a header byte (1, a 4-bit code, a 3-bit length - 1 in
 * code units) and the code's operands; codes 10-12 are one-line forms
 * whose line delta is code - 10, 13 a signed line delta alone, 14 the long
 * form, 15 "no location". */
static int
line_from_locations(const uint8_t *p, const uint8_t *end, int line, int32_t lasti)
{
    int32_t addr = 0;
    while (p < end) {
        uint8_t first = *p++;
        if (!(first & 0x80))
            return -1;
        unsigned code = (first >> 3) & 15;
        int32_t length = (first & 7) + 1, delta = 0;
        size_t skip = 0;
        if (code == 14) {
            uint32_t ignored;
            if (!read_svarint(&p, end, &delta) || !read_varint(&p, end, &ignored) ||
                !read_varint(&p, end, &ignored) || !read_varint(&p, end, &ignored))
                return -1;
        } else if (code == 13) {
            if (!read_svarint(&p, end, &delta))
                return -1;
        } else if (code >= 10 && code <= 12) {
            delta = (int32_t)code - 10;
            skip = 2; /* start and end columns */
        } else if (code < 10) {
            skip = 1; /* the short form's column byte */
        }
        if ((size_t)(end - p) < skip)
            return -1;
        p += skip;
        line += delta;
        if (lasti >= addr && lasti < addr + length)
            return code == 15 ? -1 : line;
        addr += length;
    }
    return -1;
}

/* 3.10: (start delta in bytes, line delta) pairs; -128 = no line. */
static int
line_from_linetable(const uint8_t *p, const uint8_t *end, int line, int32_t lasti)
{
    int32_t target = lasti * 2, start = 0;
    int current = -1;
    while (end - p >= 2) {
        uint8_t sdelta = p[0];
        int8_t ldelta = (int8_t)p[1];
        p += 2;
        int32_t stop = start + sdelta;
        if (ldelta == -128) {
            current = -1;
        } else {
            line += ldelta;
            current = line;
        }
        if (target >= start && target < stop)
            return current;
        start = stop;
    }
    return -1;
}

/* 3.8, 3.9: (address delta, line delta) byte pairs. */
static int
line_from_lnotab(const uint8_t *p, const uint8_t *end, int line, int32_t lasti)
{
    int32_t addr = 0;
    while (end - p >= 2) {
        addr += p[0];
        if (addr > lasti)
            break;
        line += (int8_t)p[1];
        p += 2;
    }
    return line;
}

int
PyLines_line(PyLineFormat format, const uint8_t *table, size_t len, int firstlineno, int32_t lasti)
{
    if (!table || lasti < 0)
        return -1;
    const uint8_t *end = table + len;
    switch (format) {
    case PY_LINES_LNOTAB:
        return line_from_lnotab(table, end, firstlineno, lasti);
    case PY_LINES_LINETABLE:
        return line_from_linetable(table, end, firstlineno, lasti);
    case PY_LINES_LOCATIONS:
        return line_from_locations(table, end, firstlineno, lasti);
    }
    return -1;
}
