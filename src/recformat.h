/* The .spytop recording's format (man/spytop-record.5), what its writer
 * (recwriter) and its reader (recreader, recdecoder) share: the
 * constants, the header, the fixed fields around each chunk, how a
 * sample's flags are packed, and the checksums and compression, so that
 * this is the only zlib user.
 *
 *   magic[8] version:u32 header_len:u32 header_crc:u32 header[header_len]
 *   chunk*: type:u8 compressed_len:u32 raw_len:u32 crc:u32 zlib[compressed_len]
 *
 * Integers in the fixed fields are little-endian. header_crc covers the
 * version, header_len and the header; a chunk's crc covers its type, its
 * two lengths and its compressed bytes. Inside the header and chunks
 * everything is a LEB128 varint or a varint-length-prefixed byte string
 * (recbuf.h). */
#ifndef SPYTOP_SRC_RECFORMAT_H
#define SPYTOP_SRC_RECFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"
#include "symtab.h"

#define REC_MAGIC "SPYTOP\0\x1a"
#define REC_MAGIC_LEN 8
/* 2: a sample's flags may have bit 9 (its stack reused: the thread had not
 * run since its last stop). A version 1 reader would take such samples for
 * damage; told the version, it refuses the file by name. Version 1 files
 * read as before (bit 9 is never set in them).
 * 3: several processes. A SAMPLES chunk's thread table pairs each tid with
 * its process's pid, and PROCESSES chunks say when each process was
 * followed (with its command line) and let go. Samples of versions 1 and 2
 * belong to the header's pid. */
#define REC_VERSION 3

/* One byte before each chunk. A reader skips types it does not know. */
typedef enum RecChunkType {
    REC_CHUNK_STRINGS = 1,
    REC_CHUNK_FRAMES = 2,
    REC_CHUNK_STACKS = 3,
    REC_CHUNK_SAMPLES = 4,
    REC_CHUNK_THREADS = 5,
    REC_CHUNK_MODULES = 6,
    REC_CHUNK_END = 7,
    REC_CHUNK_PROCESSES = 8, /* version 3 */
} RecChunkType;

/* A PROCESSES chunk's entry: a process followed from then on, or let go. */
typedef enum RecProcessEvent {
    REC_PROCESS_FOLLOWED = 0,
    REC_PROCESS_GONE = 1,
} RecProcessEvent;

#define REC_CHUNK_HEAD_LEN 13           /* type, compressed len, raw len, crc32 */
#define REC_CHUNK_RAW_MAX (64u << 20)   /* a chunk's uncompressed size */
#define REC_HEADER_MAX (1u << 20)       /* the header record's size */
#define REC_STRING_MAX (1u << 20)       /* longer strings are cut when written */
#define REC_STACK_DEPTH_MAX 65536u      /* deeper stacks keep their innermost frames */
#define REC_READ_SAMPLES_MAX (1u << 26) /* the reader stops there */

/* What the recording is of. The strings are borrowed by RecWriter_open;
 * from RecReader_header they are owned by the reader. */
typedef struct RecHeader {
    uint32_t version; /* the file's format version (the reader's); the writer writes REC_VERSION */
    pid_t pid;        /* the target; with several processes, the first one */
    const char *command;    /* the command line, arguments joined by spaces */
    const char *exe;        /* the target's executable */
    const char *host;       /* the host name */
    uint64_t start_unix_ns; /* CLOCK_REALTIME at the start */
    uint64_t start_mono_ns; /* CLOCK_MONOTONIC at the same moment: sample times count from it */
    unsigned rate_hz;       /* the sampling rate asked */
    /* Sample times are kept to this many nanoseconds (after the start,
     * rounded down): 0 or 1 keeps them exact; 1000 (µs) saves about 1.3
     * bytes a sample, as jittered times are near random in their low bits. */
    uint32_t time_unit_ns;
} RecHeader;

/* A module the target had mapped (a MODULES chunk's entry). */
typedef struct RecModule {
    StrId path;     /* in the reader's symtab */
    StrId build_id; /* hex; SYMTAB_EMPTY when unknown */
} RecModule;

/* magic, version, header_len, header_crc. */
#define REC_HEADER_FIXED_LEN (REC_MAGIC_LEN + 12)

/* A sample's entry in a SAMPLES chunk packs its state letter above
 * REC_FLAG_BITS bits of flags (group-stopped, blocked, status, unwind
 * end, python, holds-GIL, reused; recformat.c has the layout). */
#define REC_FLAG_BITS 10

/* A time code for a sample without a time (one that never stopped). */
#define REC_TIME_NONE 255u

/* The flags of sample (its status, unwind end and booleans). */
unsigned Rec_sample_flags(const Sample *sample);
/* Whether flags read from a file are flags (known bits, a known status). */
bool Rec_flags_valid(uint64_t flags);
/* Sets sample's status, unwind end and booleans from valid flags. */
void Rec_apply_flags(Sample *sample, unsigned flags);

/* A sample time: start_mono_ns + rel (nanoseconds, may be negative);
 * false when it leaves the range of uint64_t. */
bool Rec_abs_time(uint64_t start_mono_ns, int64_t rel, uint64_t *out);

static inline void
Rec_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
Rec_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* header_crc, from the fixed part (its version and length) and the body. */
uint32_t Rec_header_crc(const uint8_t fixed[REC_HEADER_FIXED_LEN], const uint8_t *body, size_t len);

/* The fixed fields before a chunk's compressed bytes. */
typedef struct RecChunkHead {
    unsigned type; /* RecChunkType, or a later version's */
    uint32_t zlen; /* compressed bytes that follow */
    uint32_t rlen; /* their size uncompressed */
    uint32_t crc;
} RecChunkHead;

/* Writes the head of a chunk of type whose compressed bytes are z[zlen],
 * its crc computed. */
void RecChunkHead_encode(uint8_t out[REC_CHUNK_HEAD_LEN], unsigned type, const uint8_t *z,
                         uint32_t zlen, uint32_t rlen);
void RecChunkHead_decode(RecChunkHead *head, const uint8_t in[REC_CHUNK_HEAD_LEN]);
/* Whether the compressed bytes z (head->zlen of them) match the head's crc. */
bool RecChunkHead_check(const RecChunkHead *head, const uint8_t in[REC_CHUNK_HEAD_LEN],
                        const uint8_t *z);

/* "strings", "samples", ... or "unknown". */
const char *Rec_chunk_name(unsigned type);

/* The most bytes raw_len bytes compress to. */
size_t Rec_compress_bound(size_t raw_len);
/* Compresses raw into out (room for Rec_compress_bound(raw_len) bytes);
 * *out_len is what it took. 0, -ENOMEM or -EIO. */
int Rec_compress(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t *out_len);
/* Whether z[zlen] uncompresses to exactly rlen bytes, into raw. */
bool Rec_uncompress(const uint8_t *z, size_t zlen, uint8_t *raw, size_t rlen);

/* zlib's version (chunks are compressed with it): the headers spytop was
 * compiled against (running false), or the library loaded now (running
 * true). A static string. */
const char *Rec_zlib_version(bool running);

#endif
