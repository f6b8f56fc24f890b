/* Growing byte buffers and bounded cursors over bytes, with LEB128
 * varints: the encoding of the .spytop recording (recwriter, recdecoder)
 * and of report_pprof's protobuf. RecBuf owns its bytes; a RecCursor
 * borrows them. */
#ifndef SPYTOP_SRC_RECBUF_H
#define SPYTOP_SRC_RECBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct RecBuf {
    uint8_t *data;
    size_t len, cap;
} RecBuf;

void RecBuf_done(RecBuf *buf);
void RecBuf_reserve(RecBuf *buf, size_t more);
void RecBuf_put(RecBuf *buf, const void *data, size_t len);
void RecBuf_put_u8(RecBuf *buf, uint8_t v);
void RecBuf_put_u32le(RecBuf *buf, uint32_t v);
/* Unsigned LEB128: 7 bits a byte, low bits first, at most 10 bytes. */
void RecBuf_put_varint(RecBuf *buf, uint64_t v);
/* Signed, zigzag-mapped first (0, -1, 1, -2 … → 0, 1, 2, 3 …). */
void RecBuf_put_svarint(RecBuf *buf, int64_t v);
/* A varint length, then the bytes. */
void RecBuf_put_bytes(RecBuf *buf, const void *data, size_t len);

/* Bounded reading: every getter checks what remains; the first failure
 * sets bad, and from then on every getter returns 0 / NULL. */
typedef struct RecCursor {
    const uint8_t *p, *end;
    bool bad;
} RecCursor;

uint64_t RecCursor_varint(RecCursor *c); /* > 10 bytes or > 64 bits: bad */
int64_t RecCursor_svarint(RecCursor *c);
uint8_t RecCursor_u8(RecCursor *c);
/* len bytes, borrowed from the cursor's memory, or NULL. */
const uint8_t *RecCursor_take(RecCursor *c, size_t len);
/* A varint length and that many bytes; NULL (bad) when they are not there. */
const uint8_t *RecCursor_bytes(RecCursor *c, size_t *len);
size_t RecCursor_left(const RecCursor *c);

#endif
