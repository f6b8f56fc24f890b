/* libFuzzer harness for the chunk payload parsers. Its input is a
 * recording with every chunk stored unpacked (fuzz_seeds makes them from
 * real recordings):
 *
 *   the file's header as is (its CRC-32 is recomputed here)
 *   chunk*: type:u8 raw_len:u32le raw[raw_len]   (a cut last chunk keeps what is there)
 *
 * The harness stores each payload as a zlib stream (level 0: stored
 * blocks, the cheapest) and writes the chunk head and CRC-32 the format
 * wants, so that every mutation reaches the parsers instead of failing
 * the checksum. */
#include "config.h"

#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "recbuf.h"
#include "recformat.h"
#include "util.h"

#define HEADER_FIXED_LEN (REC_MAGIC_LEN + 12)

static uint32_t
get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
set_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_FIXED_LEN) {
        Fuzz_recording(data, size);
        return 0;
    }
    size_t hlen = get_u32le(data + REC_MAGIC_LEN + 4);
    if (hlen > size - HEADER_FIXED_LEN)
        hlen = size - HEADER_FIXED_LEN;
    RecBuf out = {0};
    RecBuf_put(&out, data, HEADER_FIXED_LEN + hlen);
    set_u32le(out.data + REC_MAGIC_LEN + 4, (uint32_t)hlen);
    uint32_t crc = (uint32_t)crc32(0L, out.data + REC_MAGIC_LEN, 8);
    crc = (uint32_t)crc32(crc, out.data + HEADER_FIXED_LEN, (uInt)hlen);
    set_u32le(out.data + REC_MAGIC_LEN + 8, crc);

    size_t off = HEADER_FIXED_LEN + hlen;
    while (size - off >= 5) {
        uint8_t type = data[off];
        size_t rlen = get_u32le(data + off + 1);
        off += 5;
        if (rlen > size - off)
            rlen = size - off;
        uLongf zlen = compressBound((uLong)rlen);
        RecBuf_reserve(&out, REC_CHUNK_HEAD_LEN + zlen);
        uint8_t *head = out.data + out.len;
        FUZZ_CHECK(compress2(head + REC_CHUNK_HEAD_LEN, &zlen, data + off, (uLong)rlen, 0) == Z_OK);
        head[0] = type;
        set_u32le(head + 1, (uint32_t)zlen);
        set_u32le(head + 5, (uint32_t)rlen);
        crc = (uint32_t)crc32(crc32(0L, head, 9), head + REC_CHUNK_HEAD_LEN, (uInt)zlen);
        set_u32le(head + 9, crc);
        out.len += REC_CHUNK_HEAD_LEN + zlen;
        off += rlen;
    }
    Fuzz_recording(out.data, out.len);
    RecBuf_done(&out);
    return 0;
}
