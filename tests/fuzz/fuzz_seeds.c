/* Makes the seed corpora of the recording harnesses from real recordings:
 *
 *   fuzz_seeds RAW_DIR CHUNKS_DIR RECORDING...
 *
 * RAW_DIR (fuzz_recfile) gets each recording cut at every offset: of the
 * whole file when it is small (up to SEED_EVERY_OFFSET bytes), else of its
 * header and of each chunk's head, and once inside each chunk's payload
 * (cuts inside one zlib stream all read the same: "the file ends inside a
 * chunk", so thousands of them would only slow the fuzzer's start), up to
 * SEED_MAX bytes. CHUNKS_DIR (fuzz_recchunks) gets each recording with its
 * chunks unpacked, in that harness's input format, whole and cut after
 * each chunk. Seeds are made at build time, never committed. Exit 0, or 1
 * when a file cannot be read or a seed cannot be written. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "recbuf.h"
#include "recformat.h"
#include "util.h"

#define SEED_EVERY_OFFSET 4096u
#define SEED_MAX (16u << 10)
#define HEADER_FIXED_LEN (REC_MAGIC_LEN + 12)

static uint32_t
get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int
write_seed(const char *dir, const char *base, const char *kind, size_t n, const uint8_t *data,
           size_t len)
{
    char *path = xasprintf("%s/%s-%s%zu", dir, base, kind, n);
    FILE *f = fopen(path, "wbe");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
    free(path);
    return ok ? 0 : -1;
}

static int
cut(const char *dir, const char *base, const uint8_t *data, size_t size, size_t at)
{
    return at <= size ? write_seed(dir, base, "cut", at, data, at) : 0;
}

/* Every offset of a small file; of a larger one every offset but those
 * inside a chunk's payload, where one cut stands for all. */
static int
raw_seeds(const char *dir, const char *base, const uint8_t *data, size_t size)
{
    if (size <= SEED_EVERY_OFFSET || size < HEADER_FIXED_LEN) {
        for (size_t at = 0; at <= size; at++)
            if (cut(dir, base, data, size, at) != 0)
                return -1;
        return 0;
    }
    size_t off = HEADER_FIXED_LEN + get_u32le(data + REC_MAGIC_LEN + 4);
    for (size_t at = 0; at < off && at <= size; at++)
        if (cut(dir, base, data, size, at) != 0)
            return -1;
    while (off <= size && off <= SEED_MAX) {
        size_t zlen = size - off >= REC_CHUNK_HEAD_LEN ? get_u32le(data + off + 1) : 0;
        for (size_t at = off; at <= off + REC_CHUNK_HEAD_LEN; at++)
            if (cut(dir, base, data, size, at) != 0)
                return -1;
        if (zlen > 1 && cut(dir, base, data, size, off + REC_CHUNK_HEAD_LEN + zlen / 2) != 0)
            return -1;
        if (size - off < REC_CHUNK_HEAD_LEN)
            break;
        off += REC_CHUNK_HEAD_LEN + zlen;
    }
    return size <= SEED_MAX ? cut(dir, base, data, size, size) : 0;
}

/* The recording in fuzz_recchunks' format: chunks as type, raw length and
 * raw bytes; a seed after each chunk. */
static int
chunk_seeds(const char *dir, const char *base, const uint8_t *data, size_t size)
{
    if (size < HEADER_FIXED_LEN)
        return 0;
    size_t off = HEADER_FIXED_LEN + get_u32le(data + REC_MAGIC_LEN + 4);
    if (off > size)
        return 0;
    RecBuf out = {0};
    RecBuf_put(&out, data, off);
    int err = write_seed(dir, base, "chunks", 0, out.data, out.len);
    for (size_t n = 1; err == 0 && size - off >= REC_CHUNK_HEAD_LEN; n++) {
        const uint8_t *head = data + off;
        uint32_t zlen = get_u32le(head + 1), rlen = get_u32le(head + 5);
        if (zlen > size - off - REC_CHUNK_HEAD_LEN || rlen > SEED_MAX ||
            out.len + 5 + rlen > SEED_MAX)
            break;
        RecBuf_reserve(&out, 5 + (size_t)rlen + 1);
        uLongf got = rlen;
        uint8_t *raw = out.data + out.len + 5;
        if (uncompress(raw, &got, head + REC_CHUNK_HEAD_LEN, zlen) != Z_OK || got != rlen)
            break;
        out.data[out.len] = head[0];
        memcpy(out.data + out.len + 1, head + 5, 4);
        out.len += 5 + rlen;
        off += REC_CHUNK_HEAD_LEN + zlen;
        err = write_seed(dir, base, "chunks", n, out.data, out.len);
    }
    RecBuf_done(&out);
    return err;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s RAW_DIR CHUNKS_DIR RECORDING...\n", argv[0]);
        return 64;
    }
    int status = 0;
    uint64_t *seen = xcalloc((size_t)argc, sizeof(*seen)); /* size and CRC-32 of each file */
    for (int i = 3; i < argc; i++) {
        size_t size;
        uint8_t *data = Fuzz_read_file(argv[i], &size);
        if (!data) {
            fprintf(stderr, "fuzz_seeds: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        seen[i] = (uint64_t)size << 32 | (uint32_t)crc32(0L, data, (uInt)size);
        bool again = false;
        for (int j = 3; j < i; j++)
            again = again || seen[j] == seen[i];
        if (again) { /* several tests write the same recording */
            free(data);
            continue;
        }
        const char *slash = strrchr(argv[i], '/');
        const char *base = slash ? slash + 1 : argv[i];
        if (raw_seeds(argv[1], base, data, size) != 0 ||
            chunk_seeds(argv[2], base, data, size) != 0)
            status = 1;
        free(data);
    }
    free(seen);
    return status;
}
