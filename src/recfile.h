/* The .spytop recording (man/spytop-record.5): a header, then
 * length-prefixed, CRC32-checked, zlib-compressed chunks of strings,
 * frames, stacks, samples and thread names, each id defined once before
 * the chunks that use it. The writer appends and can be stopped at any
 * chunk boundary (SIGKILL included); the reader trusts no byte, recovers
 * everything before the first bad chunk and says how much that was. Both
 * hold symtab ids, never pointers into the symtab. */
#ifndef SPYTOP_SRC_RECFILE_H
#define SPYTOP_SRC_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"
#include "symtab.h"

#define REC_MAGIC "SPYTOP\0\x1a"
#define REC_MAGIC_LEN 8
#define REC_VERSION 1

/* One byte before each chunk. A reader skips types it does not know. */
typedef enum RecChunkType {
    REC_CHUNK_STRINGS = 1,
    REC_CHUNK_FRAMES = 2,
    REC_CHUNK_STACKS = 3,
    REC_CHUNK_SAMPLES = 4,
    REC_CHUNK_THREADS = 5,
    REC_CHUNK_MODULES = 6,
    REC_CHUNK_END = 7,
} RecChunkType;

#define REC_CHUNK_HEAD_LEN 13           /* type, compressed len, raw len, crc32 */
#define REC_CHUNK_RAW_MAX (64u << 20)   /* a chunk's uncompressed size */
#define REC_HEADER_MAX (1u << 20)       /* the header record's size */
#define REC_STRING_MAX (1u << 20)       /* longer strings are cut when written */
#define REC_STACK_DEPTH_MAX 65536u      /* deeper stacks keep their innermost frames */
#define REC_READ_SAMPLES_MAX (1u << 26) /* the reader stops there */

/* What the recording is of. The strings are borrowed by RecWriter_open;
 * from RecReader_header they are owned by the reader. */
typedef struct RecHeader {
    pid_t pid;
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

/* ---- byte buffers and LEB128 varints (shared with report's protobuf) ---- */

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

/* ---- writer ---------------------------------------------------------- */

typedef struct RecWriter RecWriter;

/* Creates path with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600; with
 * force an existing regular file is truncated instead (never a symlink,
 * a FIFO or a device). Writes the header. NULL on failure, with *cause a
 * one-line message naming the file. */
RecWriter *RecWriter_open(const char *path, bool force, const RecHeader *header, char **cause);

/* The same on an open descriptor, which the writer then owns (closed by
 * RecWriter_close, also on failure here). name is used in messages. */
RecWriter *RecWriter_open_fd(int fd, const char *name, const RecHeader *header, char **cause);

/* Queues one sample; the strings, frames and stack it refers to are queued
 * too the first time the file sees them (the writer remembers symtab ids,
 * so pass the same symtab on every call). Buffered: nothing reaches the
 * file before RecWriter_flush, except when a buffer grows large. 0 or
 * -errno (-EINVAL: a tid <= 0, or a stack id the symtab does not have). */
int RecWriter_add_sample(RecWriter *w, const Symtab *symtab, const Sample *sample);

/* Records that thread tid was named name (comm) at t_ns (CLOCK_MONOTONIC). */
int RecWriter_thread_name(RecWriter *w, pid_t tid, const char *name, uint64_t t_ns);

/* Records a module the target had mapped; build_id_hex may be NULL. */
int RecWriter_module(RecWriter *w, const char *path, const char *build_id_hex);

/* Writes what is queued as whole chunks (definitions before the samples
 * that use them). Call it at least once a second: a recorder killed with
 * SIGKILL loses only what was queued. 0 or -errno. */
int RecWriter_flush(RecWriter *w);

/* Flushes, writes the END chunk, fsyncs and closes; frees w in every case.
 * 0, or the first error of the writer's life as -errno with *cause. */
int RecWriter_close(RecWriter *w, char **cause);

/* Errors are sticky: after the first one every call returns it, and the
 * file ends at its last whole chunk (a partial one is cut off). The
 * message names the file; borrowed until RecWriter_close, NULL if none. */
const char *RecWriter_error(const RecWriter *w);

/* Bytes in the file (header and whole chunks), and samples queued so far. */
uint64_t RecWriter_bytes(const RecWriter *w);
uint64_t RecWriter_samples(const RecWriter *w);

/* ---- reader ---------------------------------------------------------- */

typedef struct RecStatus {
    bool complete;        /* every chunk read, up to a valid END */
    uint64_t bytes_read;  /* up to the end of the last good chunk */
    uint64_t bytes_total; /* the file's size */
    uint64_t duration_ns; /* the last sample's time after the start */
    const char *message;  /* one line: "complete: …" or "truncated at byte N (…): …" */
} RecStatus;

/* One thread: its latest name and what the recording holds of it. */
typedef struct RecThread {
    pid_t tid;
    StrId name; /* in the caller's symtab; SYMTAB_EMPTY if never named */
    uint64_t samples;
    uint64_t first_ns, last_ns; /* CLOCK_MONOTONIC of its first and last timed sample */
} RecThread;

typedef struct RecModule {
    StrId path;     /* in the caller's symtab */
    StrId build_id; /* hex; SYMTAB_EMPTY when unknown */
} RecModule;

typedef struct RecReader RecReader;

/* Reads the whole recording at path, interning its strings, frames and
 * stacks into symtab (borrowed; it must outlive what the reader hands
 * out). A damaged or cut file still opens: the status says how much was
 * recovered. NULL with *cause only when not even the header is valid. */
RecReader *RecReader_open(const char *path, Symtab *symtab, char **cause);

/* The same from memory (data is not kept); name is used in messages. */
RecReader *RecReader_open_buffer(const void *data, size_t size, const char *name, Symtab *symtab,
                                 char **cause);

void RecReader_delete(RecReader *r);

/* Borrowed for the reader's life. */
const RecHeader *RecReader_header(const RecReader *r);
const RecStatus *RecReader_status(const RecReader *r);

/* In file order; t_ns in CLOCK_MONOTONIC (start_mono_ns + offset), or 0
 * as recorded for a thread that never stopped (SAMPLE_LATE); stacks in the
 * caller's symtab; stopped_ns 0 (not recorded). Borrowed. */
const Sample *RecReader_samples(const RecReader *r, size_t *count);

/* Every thread that has samples or a name, sorted by tid. Borrowed. */
const RecThread *RecReader_threads(const RecReader *r, size_t *count);
const RecThread *RecReader_thread(const RecReader *r, pid_t tid);

/* The name thread tid had at t_ns: the last one recorded at or before
 * t_ns, else its first one; SYMTAB_EMPTY if it has none. O(log n). */
StrId RecReader_thread_name_at(const RecReader *r, pid_t tid, uint64_t t_ns);

const RecModule *RecReader_modules(const RecReader *r, size_t *count);

/* zlib's version (chunks are compressed with it): the headers spytop was
 * compiled against (running false), or the library loaded now (running
 * true). A static string. */
const char *Rec_zlib_version(bool running);

#endif
