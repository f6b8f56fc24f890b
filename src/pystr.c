#include "config.h"

#include "pystr.h"

#include <string.h>

#include "pymem.h"

static size_t
put_utf8(uint32_t c, char *out)
{
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        c = 0xfffd;
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

int
PyStr_read(pid_t pid, const PyLayout *l, uint64_t addr, size_t max_chars, char *out, size_t size)
{
    uint8_t head[256]; /* the ASCII head, which holds length and state */
    if (size < 5 || l->ascii_size > sizeof(head) ||
        !PyMem_read(pid, addr, head, (size_t)l->ascii_size))
        return -1;
    int64_t length;
    uint32_t state;
    memcpy(&length, head + l->str_length, sizeof(length));
    memcpy(&state, head + l->str_state, sizeof(state));
    unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
    if (!compact || length < 0 || (kind != 1 && kind != 2 && kind != 4))
        return -1;
    if (max_chars > PY_STR_MAX_CHARS)
        max_chars = PY_STR_MAX_CHARS;
    if ((uint64_t)length > max_chars)
        length = (int64_t)max_chars;
    uint64_t data = addr + (ascii ? l->ascii_size : l->compact_size);
    size_t bytes = (size_t)length * kind;
    uint8_t raw[PY_STR_MAX_CHARS * 4];
    if (bytes && !PyMem_read(pid, data, raw, bytes))
        return -1;
    size_t n = 0;
    for (int64_t i = 0; i < length; i++) {
        uint32_t c;
        if (kind == 1) {
            c = raw[i];
        } else if (kind == 2) {
            uint16_t v;
            memcpy(&v, raw + i * 2, 2);
            c = v;
        } else {
            memcpy(&c, raw + i * 4, 4);
        }
        char u[4];
        size_t k = put_utf8(c, u);
        if (n + k >= size)
            break;
        memcpy(out + n, u, k);
        n += k;
    }
    out[n] = '\0';
    return (int)n;
}
