#include "config.h"

#include "recbuf.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
RecBuf_done(RecBuf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

void
RecBuf_reserve(RecBuf *buf, size_t more)
{
    if (more > SIZE_MAX / 2 - buf->len)
        abort();
    buf->data = xgrow(buf->data, &buf->cap, buf->len + more, 1);
}

void
RecBuf_put(RecBuf *buf, const void *data, size_t len)
{
    if (len == 0)
        return;
    RecBuf_reserve(buf, len);
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
}

void
RecBuf_put_u8(RecBuf *buf, uint8_t v)
{
    RecBuf_reserve(buf, 1);
    buf->data[buf->len++] = v;
}

void
RecBuf_put_u32le(RecBuf *buf, uint32_t v)
{
    RecBuf_reserve(buf, 4);
    for (int i = 0; i < 4; i++)
        buf->data[buf->len++] = (uint8_t)(v >> (8 * i));
}

void
RecBuf_put_varint(RecBuf *buf, uint64_t v)
{
    RecBuf_reserve(buf, 10);
    uint8_t *p = buf->data + buf->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    buf->len = (size_t)(p - buf->data);
}

void
RecBuf_put_svarint(RecBuf *buf, int64_t v)
{
    RecBuf_put_varint(buf, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void
RecBuf_put_bytes(RecBuf *buf, const void *data, size_t len)
{
    RecBuf_put_varint(buf, len);
    RecBuf_put(buf, data, len);
}

uint64_t
RecCursor_varint(RecCursor *c)
{
    if (c->bad)
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (c->p >= c->end)
            break;
        uint8_t byte = *c->p++;
        if (i == 9 && byte > 1)
            break; /* more than 64 bits */
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80))
            return v;
    }
    c->bad = true;
    return 0;
}

int64_t
RecCursor_svarint(RecCursor *c)
{
    uint64_t u = RecCursor_varint(c);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

uint8_t
RecCursor_u8(RecCursor *c)
{
    if (c->bad || c->p >= c->end) {
        c->bad = true;
        return 0;
    }
    return *c->p++;
}

const uint8_t *
RecCursor_take(RecCursor *c, size_t len)
{
    if (c->bad || (size_t)(c->end - c->p) < len) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += len;
    return p;
}

const uint8_t *
RecCursor_bytes(RecCursor *c, size_t *len)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > (uint64_t)(c->end - c->p)) {
        c->bad = true;
        *len = 0;
        return NULL;
    }
    *len = (size_t)n;
    return RecCursor_take(c, (size_t)n);
}

size_t
RecCursor_left(const RecCursor *c)
{
    return c->bad ? 0 : (size_t)(c->end - c->p);
}
