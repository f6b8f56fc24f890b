#include "config.h"

#include "recformat.h"

#include <errno.h>
#include <zlib.h>

#define FLAG_GROUP_STOPPED 0x01u
#define FLAG_BLOCKED 0x02u
#define FLAG_STATUS_SHIFT 2
#define FLAG_STATUS_MASK 0x1cu
#define FLAG_END_SHIFT 5
#define FLAG_END_MASK 0x60u
#define FLAG_PYTHON 0x80u
#define FLAG_HOLDS_GIL 0x100u
#define FLAG_REUSED 0x200u
#define FLAG_ALL 0x3ffu

_Static_assert(FLAG_ALL < 1u << REC_FLAG_BITS, "flags fit below the state letter");

unsigned
Rec_sample_flags(const Sample *sample)
{
    return (sample->group_stopped ? FLAG_GROUP_STOPPED : 0) | (sample->blocked ? FLAG_BLOCKED : 0) |
           (((unsigned)sample->status << FLAG_STATUS_SHIFT) & FLAG_STATUS_MASK) |
           (((unsigned)sample->end << FLAG_END_SHIFT) & FLAG_END_MASK) |
           (sample->python ? FLAG_PYTHON : 0) | (sample->holds_gil ? FLAG_HOLDS_GIL : 0) |
           (sample->reused ? FLAG_REUSED : 0);
}

bool
Rec_flags_valid(uint64_t flags)
{
    return flags <= FLAG_ALL && (flags & FLAG_STATUS_MASK) >> FLAG_STATUS_SHIFT <= SAMPLE_FAILED;
}

void
Rec_apply_flags(Sample *sample, unsigned flags)
{
    flags &= FLAG_ALL;
    sample->group_stopped = flags & FLAG_GROUP_STOPPED;
    sample->blocked = (flags & FLAG_BLOCKED) != 0;
    sample->status = (SampleStatus)((flags & FLAG_STATUS_MASK) >> FLAG_STATUS_SHIFT);
    sample->end = (UnwindEnd)((flags & FLAG_END_MASK) >> FLAG_END_SHIFT);
    sample->python = (flags & FLAG_PYTHON) != 0;
    sample->holds_gil = (flags & FLAG_HOLDS_GIL) != 0;
    sample->reused = (flags & FLAG_REUSED) != 0;
}

bool
Rec_abs_time(uint64_t start_mono_ns, int64_t rel, uint64_t *out)
{
    uint64_t base = start_mono_ns;
    if (rel < 0) {
        uint64_t back = (uint64_t)(-(rel + 1)) + 1;
        if (back > base)
            return false;
        *out = base - back;
        return true;
    }
    if ((uint64_t)rel > UINT64_MAX - base)
        return false;
    *out = base + (uint64_t)rel;
    return true;
}

uint32_t
Rec_header_crc(const uint8_t fixed[REC_HEADER_FIXED_LEN], const uint8_t *body, size_t len)
{
    uLong crc = crc32(0L, fixed + REC_MAGIC_LEN, 8);
    return (uint32_t)crc32(crc, body, (uInt)len);
}

static uint32_t
chunk_crc(const uint8_t head[REC_CHUNK_HEAD_LEN], const uint8_t *z, uint32_t zlen)
{
    return (uint32_t)crc32(crc32(0L, head, 9), z, zlen);
}

void
RecChunkHead_encode(uint8_t out[REC_CHUNK_HEAD_LEN], unsigned type, const uint8_t *z, uint32_t zlen,
                    uint32_t rlen)
{
    out[0] = (uint8_t)type;
    Rec_put_u32le(out + 1, zlen);
    Rec_put_u32le(out + 5, rlen);
    Rec_put_u32le(out + 9, chunk_crc(out, z, zlen));
}

void
RecChunkHead_decode(RecChunkHead *head, const uint8_t in[REC_CHUNK_HEAD_LEN])
{
    head->type = in[0];
    head->zlen = Rec_get_u32le(in + 1);
    head->rlen = Rec_get_u32le(in + 5);
    head->crc = Rec_get_u32le(in + 9);
}

bool
RecChunkHead_check(const RecChunkHead *head, const uint8_t in[REC_CHUNK_HEAD_LEN], const uint8_t *z)
{
    return chunk_crc(in, z, head->zlen) == head->crc;
}

const char *
Rec_chunk_name(unsigned type)
{
    switch (type) {
    case REC_CHUNK_STRINGS:
        return "strings";
    case REC_CHUNK_FRAMES:
        return "frames";
    case REC_CHUNK_STACKS:
        return "stacks";
    case REC_CHUNK_SAMPLES:
        return "samples";
    case REC_CHUNK_THREADS:
        return "threads";
    case REC_CHUNK_MODULES:
        return "modules";
    case REC_CHUNK_END:
        return "end";
    case REC_CHUNK_PROCESSES:
        return "processes";
    }
    return "unknown";
}

size_t
Rec_compress_bound(size_t raw_len)
{
    return (size_t)compressBound((uLong)raw_len);
}

int
Rec_compress(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t *out_len)
{
    uLongf zlen = compressBound((uLong)raw_len);
    int zr = compress2(out, &zlen, raw_len ? raw : (const Bytef *)"", (uLong)raw_len,
                       Z_BEST_COMPRESSION);
    if (zr != Z_OK)
        return zr == Z_MEM_ERROR ? -ENOMEM : -EIO;
    *out_len = (size_t)zlen;
    return 0;
}

bool
Rec_uncompress(const uint8_t *z, size_t zlen, uint8_t *raw, size_t rlen)
{
    uLongf got = (uLongf)rlen;
    return uncompress(raw, &got, z, (uLong)zlen) == Z_OK && got == rlen;
}

const char *
Rec_zlib_version(bool running)
{
    return running ? zlibVersion() : ZLIB_VERSION;
}
