#include "config.h"

#include "recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "hashindex.h"
#include "util.h"

/* Layout (man/spytop-record.5):
 *
 *   magic[8] version:u32 header_len:u32 header_crc:u32 header[header_len]
 *   chunk*: type:u8 compressed_len:u32 raw_len:u32 crc:u32 zlib[compressed_len]
 *
 * Integers in the fixed fields are little-endian. header_crc covers the
 * version, header_len and the header; a chunk's crc covers its type, its two
 * lengths and its compressed bytes. Inside the header and chunks everything
 * is a LEB128 varint or a varint-length-prefixed byte string. */

#define FLAG_GROUP_STOPPED 0x01u
#define FLAG_BLOCKED 0x02u
#define FLAG_STATUS_SHIFT 2
#define FLAG_STATUS_MASK 0x1cu
#define FLAG_END_SHIFT 5
#define FLAG_END_MASK 0x60u
#define FLAG_PYTHON 0x80u
#define FLAG_HOLDS_GIL 0x100u
#define FLAG_ALL 0x1ffu

/* A time code for a sample without a time (one that never stopped). */
#define TIME_NONE 255u

#define WRITER_SAMPLES_PER_CHUNK 65536u
#define WRITER_DEFS_FLUSH_BYTES (16u << 20)
#define HEADER_FIXED_LEN (REC_MAGIC_LEN + 12)

/* ---- buffers and varints ---------------------------------------------- */

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

static void
put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void
RecBuf_put_u32le(RecBuf *buf, uint32_t v)
{
    RecBuf_reserve(buf, 4);
    put_u32le(buf->data + buf->len, v);
    buf->len += 4;
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

/* ---- writer ------------------------------------------------------------ */

/* A thread of the chunk being written, and how many (state, flags, stack)
 * entries it used. */
typedef struct ChunkThread {
    pid_t tid;
    uint32_t dict_len;
} ChunkThread;

/* A map from symtab id to file id + 1 (0: not in the file yet). */
typedef struct IdMap {
    uint32_t *ids;
    size_t cap;
    uint32_t written; /* file ids handed out */
} IdMap;

struct RecWriter {
    int fd;
    char *path;
    uint64_t start_mono_ns;
    uint32_t time_unit_ns;
    uint64_t offset; /* the file's whole part: header and complete chunks */
    int err;
    char *error;
    uint64_t samples;
    int64_t last_rel; /* the last sample's time after the start */

    IdMap strings, frames, stacks;
    /* Definitions and names waiting for the next flush, with their counts. */
    RecBuf q_strings, q_frames, q_stacks, q_threads, q_modules;
    uint32_t n_strings, n_frames, n_stacks, n_threads, n_modules;

    /* Samples waiting, one column per field (see write_samples). */
    RecBuf c_tcode, c_tbits, c_tid, c_ref, c_new;
    uint64_t bit_acc;
    unsigned bit_count;
    uint32_t n_samples;
    int64_t chunk_last_rel; /* in time units */
    /* The chunk's tables: its tids, and per thread the (state, flags,
     * stack) entries it used, numbered in order of first use. */
    ChunkThread *chunk_tids;
    size_t n_chunk_tids, chunk_tids_cap;
    HashIndex tid_index; /* tid -> index in chunk_tids */
    struct DictSlot *dict;
    size_t dict_cap, dict_used;
    HashIndex dict_index; /* dict_hash -> index in dict */

    RecBuf raw;
    uint8_t *zbuf;
    size_t zcap;
    FrameId *frames_tmp;
    size_t frames_tmp_cap;
};

static int
set_error(RecWriter *w, int err, const char *what)
{
    if (!w->err) {
        w->err = err;
        w->error = xasprintf("%s %s: %s", what, w->path, strerror(-err));
    }
    return w->err;
}

static int
writer_fail(RecWriter *w, int err, const char *what)
{
    set_error(w, err, what);
    /* Cut a partly written chunk off, so the file ends at a whole one. A
     * descriptor that cannot be truncated (a pipe) keeps what it has. */
    if (ftruncate(w->fd, (off_t)w->offset) != 0) {
        /* nothing more to do */
    }
    return w->err;
}

static int
write_all(RecWriter *w, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(w->fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return writer_fail(w, -errno, "write");
        }
        if (n == 0)
            return writer_fail(w, -EIO, "write");
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Compresses raw and writes it as one chunk of the given type. */
static int
write_chunk(RecWriter *w, RecChunkType type, const uint8_t *raw, size_t raw_len)
{
    if (w->err)
        return w->err;
    if (raw_len > REC_CHUNK_RAW_MAX)
        return writer_fail(w, -EFBIG, "chunk too large for");
    uLong bound = compressBound((uLong)raw_len);
    size_t need = REC_CHUNK_HEAD_LEN + (size_t)bound;
    if (w->zcap < need) {
        free(w->zbuf);
        w->zcap = need;
        w->zbuf = xmalloc(need);
    }
    uLongf zlen = bound;
    int zr = compress2(w->zbuf + REC_CHUNK_HEAD_LEN, &zlen, raw_len ? raw : (const Bytef *)"",
                       (uLong)raw_len, Z_BEST_COMPRESSION);
    if (zr != Z_OK)
        return writer_fail(w, zr == Z_MEM_ERROR ? -ENOMEM : -EIO, "compress2 for");
    w->zbuf[0] = (uint8_t)type;
    put_u32le(w->zbuf + 1, (uint32_t)zlen);
    put_u32le(w->zbuf + 5, (uint32_t)raw_len);
    uLong crc = crc32(0L, w->zbuf, 9);
    crc = crc32(crc, w->zbuf + REC_CHUNK_HEAD_LEN, (uInt)zlen);
    put_u32le(w->zbuf + 9, (uint32_t)crc);
    int err = write_all(w, w->zbuf, REC_CHUNK_HEAD_LEN + (size_t)zlen);
    if (err)
        return err;
    w->offset += REC_CHUNK_HEAD_LEN + (uint64_t)zlen;
    return 0;
}

/* A counted list: the count, then the queued entries. */
static int
write_list(RecWriter *w, RecChunkType type, RecBuf *entries, uint32_t *count)
{
    if (*count == 0)
        return 0;
    w->raw.len = 0;
    RecBuf_put_varint(&w->raw, *count);
    RecBuf_put(&w->raw, entries->data, entries->len);
    int err = write_chunk(w, type, w->raw.data, w->raw.len);
    entries->len = 0;
    *count = 0;
    return err;
}

static int
flush_definitions(RecWriter *w)
{
    int err = write_list(w, REC_CHUNK_STRINGS, &w->q_strings, &w->n_strings);
    if (!err)
        err = write_list(w, REC_CHUNK_FRAMES, &w->q_frames, &w->n_frames);
    if (!err)
        err = write_list(w, REC_CHUNK_STACKS, &w->q_stacks, &w->n_stacks);
    return err;
}

static int
maybe_flush_definitions(RecWriter *w)
{
    if (w->q_strings.len + w->q_frames.len + w->q_stacks.len < WRITER_DEFS_FLUSH_BYTES)
        return 0;
    return flush_definitions(w);
}

static void
idmap_fit(IdMap *m, size_t count)
{
    size_t old = m->cap;
    m->ids = xgrow(m->ids, &m->cap, count, sizeof(uint32_t));
    memset(m->ids + old, 0, (m->cap - old) * sizeof(uint32_t));
}

static void
idmap_done(IdMap *m)
{
    free(m->ids);
    m->ids = NULL;
    m->cap = 0;
}

/* The file id of a symtab string, queueing it the first time. */
static int
file_string(RecWriter *w, const Symtab *symtab, StrId id, uint32_t *out)
{
    if (id >= Symtab_string_count(symtab))
        id = SYMTAB_EMPTY;
    idmap_fit(&w->strings, Symtab_string_count(symtab));
    if (w->strings.ids[id]) {
        *out = w->strings.ids[id] - 1;
        return 0;
    }
    const char *s = Symtab_string(symtab, id);
    size_t len = strlen(s);
    if (len > REC_STRING_MAX)
        len = REC_STRING_MAX;
    RecBuf_put_bytes(&w->q_strings, s, len);
    w->n_strings++;
    *out = w->strings.written++;
    w->strings.ids[id] = *out + 1;
    return maybe_flush_definitions(w);
}

static int
file_frame(RecWriter *w, const Symtab *symtab, FrameId id, uint32_t *out)
{
    idmap_fit(&w->frames, Symtab_frame_count(symtab));
    if (w->frames.ids[id]) {
        *out = w->frames.ids[id] - 1;
        return 0;
    }
    const SymtabFrame *f = Symtab_frame(symtab, id);
    uint32_t function, file, module;
    int err = file_string(w, symtab, f->function, &function);
    if (!err)
        err = file_string(w, symtab, f->file, &file);
    if (!err)
        err = file_string(w, symtab, f->module, &module);
    if (err)
        return err;
    RecBuf_put_varint(&w->q_frames, function);
    RecBuf_put_varint(&w->q_frames, file);
    RecBuf_put_varint(&w->q_frames, module);
    RecBuf_put_varint(&w->q_frames, f->line);
    RecBuf_put_u8(&w->q_frames, f->kind);
    w->n_frames++;
    *out = w->frames.written++;
    w->frames.ids[id] = *out + 1;
    return maybe_flush_definitions(w);
}

static int
file_stack(RecWriter *w, const Symtab *symtab, StackId id, uint32_t *out)
{
    if (id >= Symtab_stack_count(symtab))
        return -EINVAL;
    idmap_fit(&w->stacks, Symtab_stack_count(symtab));
    if (w->stacks.ids[id]) {
        *out = w->stacks.ids[id] - 1;
        return 0;
    }
    size_t depth;
    const FrameId *frames = Symtab_stack(symtab, id, &depth);
    if (depth > REC_STACK_DEPTH_MAX)
        depth = REC_STACK_DEPTH_MAX;
    w->frames_tmp = xgrow(w->frames_tmp, &w->frames_tmp_cap, depth, sizeof(FrameId));
    for (size_t i = 0; i < depth; i++) {
        if (frames[i] >= Symtab_frame_count(symtab))
            return -EINVAL;
        int err = file_frame(w, symtab, frames[i], &w->frames_tmp[i]);
        if (err)
            return err;
    }
    RecBuf_put_varint(&w->q_stacks, depth);
    for (size_t i = 0; i < depth; i++)
        RecBuf_put_varint(&w->q_stacks, w->frames_tmp[i]);
    w->n_stacks++;
    *out = w->stacks.written++;
    w->stacks.ids[id] = *out + 1;
    return maybe_flush_definitions(w);
}

/* The chunk-local index of tid, adding it to the chunk's table. */
static uint32_t
chunk_tid_index(RecWriter *w, pid_t tid)
{
    uint32_t index =
        HashIndex_intern(&w->tid_index, (uint32_t)tid, (uint32_t)w->n_chunk_tids, NULL, NULL);
    if (index == w->n_chunk_tids) {
        w->chunk_tids =
            xgrow(w->chunk_tids, &w->chunk_tids_cap, w->n_chunk_tids + 1, sizeof(ChunkThread));
        w->chunk_tids[w->n_chunk_tids++] = (ChunkThread){tid, 0};
    }
    return index;
}

/* A thread's entry for this chunk: (state << 9 | flags, file stack id). */
typedef struct DictSlot {
    uint64_t stack_tix; /* file stack id << 32 | tid index */
    uint32_t sf;
    uint32_t value; /* the entry's number in its thread's list */
} DictSlot;

typedef struct DictKey {
    const DictSlot *dict;
    uint64_t stack_tix;
    uint32_t sf;
} DictKey;

static bool
dict_equal(const void *ctx, uint32_t id)
{
    const DictKey *k = ctx;
    return k->dict[id].stack_tix == k->stack_tix && k->dict[id].sf == k->sf;
}

static uint64_t
dict_hash(uint64_t stack_tix, uint32_t sf)
{
    return Util_mix64(stack_tix ^ Util_mix64(sf));
}

/* The number of (state, flags, stack) in thread tix's list for this chunk;
 * *added when the thread uses it for the first time in the chunk. */
static uint32_t
chunk_entry_index(RecWriter *w, uint32_t tix, uint32_t sf, uint32_t stack, bool *added)
{
    uint64_t stack_tix = (uint64_t)stack << 32 | tix;
    DictKey key = {w->dict, stack_tix, sf};
    uint32_t j = HashIndex_intern(&w->dict_index, dict_hash(stack_tix, sf), (uint32_t)w->dict_used,
                                  dict_equal, &key);
    *added = j == w->dict_used;
    if (*added) {
        w->dict = xgrow(w->dict, &w->dict_cap, w->dict_used + 1, sizeof(DictSlot));
        w->dict[w->dict_used++] = (DictSlot){stack_tix, sf, w->chunk_tids[tix].dict_len++};
    }
    return w->dict[j].value;
}

static void
put_bits(RecWriter *w, uint64_t v, unsigned n)
{
    while (n > 0) {
        unsigned take = n > 32 ? 32 : n;
        w->bit_acc |= (v & ((1ull << take) - 1)) << w->bit_count;
        w->bit_count += take;
        v >>= take;
        n -= take;
        while (w->bit_count >= 8) {
            RecBuf_put_u8(&w->c_tbits, (uint8_t)w->bit_acc);
            w->bit_acc >>= 8;
            w->bit_count -= 8;
        }
    }
}

/* A time difference: a code byte (0: zero; 1..64: positive, of that many
 * bits; 65..128: negative, of code - 64 bits), and the bits of its
 * magnitude below the leading one into a bit stream. Jittered sampling
 * times are nearly random in their low bits: packed, they cost what they
 * hold and no more, which varints through deflate do not. */
static void
put_time(RecWriter *w, int64_t d)
{
    uint64_t m = d >= 0 ? (uint64_t)d : (uint64_t)(-(d + 1)) + 1;
    unsigned len = m ? 64 - (unsigned)__builtin_clzll(m) : 0;
    RecBuf_put_u8(&w->c_tcode, (uint8_t)(d < 0 ? 64 + len : len));
    if (len > 1)
        put_bits(w, m, len - 1);
}

/* SAMPLES: the chunk's tids, the sample count, then one column per field:
 * time codes, the time bit stream (its length first), tid indexes, entry
 * references, and the entries those references add. An entry is a
 * (state, flags, stack) in its thread's list for this chunk; a reference
 * equal to the list's length adds the next entry of the last column.
 * Columns of like values compress far better than rows, and a thread
 * sampled at a steady rate keeps to a few entries. */
static int
write_samples(RecWriter *w)
{
    if (w->n_samples == 0)
        return 0;
    if (w->bit_count) {
        RecBuf_put_u8(&w->c_tbits, (uint8_t)w->bit_acc);
        w->bit_acc = 0;
        w->bit_count = 0;
    }
    RecBuf *raw = &w->raw;
    raw->len = 0;
    RecBuf_put_varint(raw, w->n_chunk_tids);
    for (size_t i = 0; i < w->n_chunk_tids; i++)
        RecBuf_put_varint(raw, (uint64_t)w->chunk_tids[i].tid);
    RecBuf_put_varint(raw, w->n_samples);
    RecBuf_put(raw, w->c_tcode.data, w->c_tcode.len);
    RecBuf_put_bytes(raw, w->c_tbits.data, w->c_tbits.len);
    RecBuf_put(raw, w->c_tid.data, w->c_tid.len);
    RecBuf_put(raw, w->c_ref.data, w->c_ref.len);
    RecBuf_put(raw, w->c_new.data, w->c_new.len);
    int err = write_chunk(w, REC_CHUNK_SAMPLES, raw->data, raw->len);
    w->c_tcode.len = w->c_tbits.len = w->c_tid.len = w->c_ref.len = w->c_new.len = 0;
    w->n_samples = 0;
    w->chunk_last_rel = 0;
    w->n_chunk_tids = 0;
    HashIndex_clear(&w->tid_index);
    w->dict_used = 0;
    HashIndex_clear(&w->dict_index);
    return err;
}

static void
writer_free(RecWriter *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w->error);
    idmap_done(&w->strings);
    idmap_done(&w->frames);
    idmap_done(&w->stacks);
    RecBuf *bufs[] = {&w->q_strings, &w->q_frames, &w->q_stacks, &w->q_threads,
                      &w->q_modules, &w->c_tcode,  &w->c_tbits,  &w->c_tid,
                      &w->c_ref,     &w->c_new,    &w->raw};
    for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
        RecBuf_done(bufs[i]);
    free(w->chunk_tids);
    HashIndex_done(&w->tid_index);
    free(w->dict);
    HashIndex_done(&w->dict_index);
    free(w->zbuf);
    free(w->frames_tmp);
    free(w);
}

static void
put_cstr(RecBuf *buf, const char *s)
{
    s = s ? s : "";
    size_t len = strlen(s);
    RecBuf_put_bytes(buf, s, len > REC_STRING_MAX ? REC_STRING_MAX : len);
}

RecWriter *
RecWriter_open_fd(int fd, const char *name, const RecHeader *header, char **cause)
{
    RecWriter *w = xcalloc(1, sizeof(*w));
    w->fd = fd;
    w->path = xstrdup(name);
    w->start_mono_ns = header->start_mono_ns;
    w->time_unit_ns = header->time_unit_ns ? header->time_unit_ns : 1;

    RecBuf body = {0};
    RecBuf_put_varint(&body, header->pid > 0 ? (uint64_t)header->pid : 0);
    RecBuf_put_varint(&body, header->start_unix_ns);
    RecBuf_put_varint(&body, header->start_mono_ns);
    RecBuf_put_varint(&body, header->rate_hz);
    put_cstr(&body, header->command);
    put_cstr(&body, header->exe);
    put_cstr(&body, header->host);
    RecBuf_put_varint(&body, w->time_unit_ns);

    RecBuf head = {0};
    RecBuf_put(&head, REC_MAGIC, REC_MAGIC_LEN);
    RecBuf_put_u32le(&head, REC_VERSION);
    RecBuf_put_u32le(&head, (uint32_t)body.len);
    uLong crc = crc32(0L, head.data + REC_MAGIC_LEN, 8);
    crc = crc32(crc, body.data, (uInt)body.len);
    RecBuf_put_u32le(&head, (uint32_t)crc);
    RecBuf_put(&head, body.data, body.len);
    RecBuf_done(&body);
    int err = write_all(w, head.data, head.len);
    if (!err)
        w->offset = head.len;
    RecBuf_done(&head);
    if (err) {
        if (cause)
            *cause = xstrdup(w->error);
        writer_free(w);
        return NULL;
    }
    return w;
}

RecWriter *
RecWriter_open(const char *path, bool force, const RecHeader *header, char **cause)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a reader. */
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (force ? 0 : O_EXCL);
    int fd = open(path, flags, 0600);
    if (fd < 0) {
        int e = errno;
        if (cause) {
            struct stat lst;
            if ((e == EEXIST || e == ELOOP) && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
                *cause = xasprintf("%s is a symbolic link: not followed", path);
            else if (e == EEXIST)
                *cause = xasprintf("%s already exists (--force overwrites it)", path);
            else if (e == ELOOP)
                *cause = xasprintf("%s is a symbolic link: not followed", path);
            else if (e == ENXIO)
                *cause = xasprintf("%s is not a regular file", path);
            else
                *cause = xasprintf("open %s: %s", path, strerror(e));
        }
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (cause)
            *cause = xasprintf("%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    /* Truncate only now that it is known to be a regular file. */
    if (force && ftruncate(fd, 0) != 0) {
        int e = errno;
        if (cause)
            *cause = xasprintf("truncate %s: %s", path, strerror(e));
        close(fd);
        return NULL;
    }
    if (fcntl(fd, F_SETFL, 0) != 0) { /* blocking writes from here on */
        int e = errno;
        if (cause)
            *cause = xasprintf("fcntl %s: %s", path, strerror(e));
        close(fd);
        return NULL;
    }
    RecWriter *w = RecWriter_open_fd(fd, path, header, cause);
    if (!w && !force)
        unlink(path); /* created above and still empty */
    return w;
}

int
RecWriter_add_sample(RecWriter *w, const Symtab *symtab, const Sample *sample)
{
    if (w->err)
        return w->err;
    if (sample->tid <= 0)
        return -EINVAL;
    uint32_t stack;
    int err = file_stack(w, symtab, sample->stack, &stack);
    if (err)
        return err;
    /* Times are stored relative to the start, as differences (wrapping
     * arithmetic: no overflow in C, and the reader checks the range). A
     * sample that was never stopped has no time (0). */
    if (sample->t_ns == 0) {
        RecBuf_put_u8(&w->c_tcode, TIME_NONE);
    } else {
        int64_t rel = (int64_t)(sample->t_ns - w->start_mono_ns);
        int64_t unit = w->time_unit_ns;
        int64_t units = rel / unit - (rel % unit < 0); /* rounded down */
        put_time(w, (int64_t)((uint64_t)units - (uint64_t)w->chunk_last_rel));
        w->chunk_last_rel = units;
        w->last_rel = rel;
    }
    uint32_t tix = chunk_tid_index(w, sample->tid);
    RecBuf_put_varint(&w->c_tid, tix);
    unsigned flags = (sample->group_stopped ? FLAG_GROUP_STOPPED : 0) |
                     (sample->blocked ? FLAG_BLOCKED : 0) |
                     (((unsigned)sample->status << FLAG_STATUS_SHIFT) & FLAG_STATUS_MASK) |
                     (((unsigned)sample->end << FLAG_END_SHIFT) & FLAG_END_MASK) |
                     (sample->python ? FLAG_PYTHON : 0) | (sample->holds_gil ? FLAG_HOLDS_GIL : 0);
    uint8_t state = (uint8_t)sample->state;
    bool added;
    RecBuf_put_varint(&w->c_ref,
                      chunk_entry_index(w, tix, (uint32_t)state << 9 | flags, stack, &added));
    if (added) {
        RecBuf_put_u8(&w->c_new, state);
        RecBuf_put_varint(&w->c_new, flags);
        RecBuf_put_varint(&w->c_new, stack);
    }
    w->n_samples++;
    w->samples++;
    if (w->n_samples >= WRITER_SAMPLES_PER_CHUNK)
        return RecWriter_flush(w);
    return 0;
}

int
RecWriter_thread_name(RecWriter *w, pid_t tid, const char *name, uint64_t t_ns)
{
    if (w->err)
        return w->err;
    if (tid <= 0)
        return -EINVAL;
    RecBuf_put_varint(&w->q_threads, (uint64_t)tid);
    RecBuf_put_svarint(&w->q_threads, (int64_t)(t_ns - w->start_mono_ns));
    put_cstr(&w->q_threads, name);
    w->n_threads++;
    if (w->q_threads.len >= WRITER_DEFS_FLUSH_BYTES)
        return write_list(w, REC_CHUNK_THREADS, &w->q_threads, &w->n_threads);
    return 0;
}

int
RecWriter_module(RecWriter *w, const char *path, const char *build_id_hex)
{
    if (w->err)
        return w->err;
    put_cstr(&w->q_modules, path);
    put_cstr(&w->q_modules, build_id_hex);
    w->n_modules++;
    if (w->q_modules.len >= WRITER_DEFS_FLUSH_BYTES)
        return write_list(w, REC_CHUNK_MODULES, &w->q_modules, &w->n_modules);
    return 0;
}

int
RecWriter_flush(RecWriter *w)
{
    if (w->err)
        return w->err;
    int err = flush_definitions(w);
    if (!err)
        err = write_list(w, REC_CHUNK_THREADS, &w->q_threads, &w->n_threads);
    if (!err)
        err = write_list(w, REC_CHUNK_MODULES, &w->q_modules, &w->n_modules);
    if (!err)
        err = write_samples(w);
    return err;
}

int
RecWriter_close(RecWriter *w, char **cause)
{
    if (!w)
        return 0;
    int err = RecWriter_flush(w);
    if (!err) {
        /* END: totals, so a reader can tell a whole recording. */
        w->raw.len = 0;
        RecBuf_put_varint(&w->raw, w->samples);
        RecBuf_put_svarint(&w->raw, w->last_rel);
        RecBuf_put_varint(&w->raw, w->strings.written);
        RecBuf_put_varint(&w->raw, w->frames.written);
        RecBuf_put_varint(&w->raw, w->stacks.written);
        err = write_chunk(w, REC_CHUNK_END, w->raw.data, w->raw.len);
    }
    /* A pipe or a character device cannot be synced; that is no error. */
    if (!err && fsync(w->fd) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
        err = writer_fail(w, -errno, "fsync");
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0 && !err && errno != EINTR)
        err = set_error(w, -errno, "close");
    if (err && cause)
        *cause = xstrdup(w->error ? w->error : "recording failed");
    writer_free(w);
    return err;
}

const char *
RecWriter_error(const RecWriter *w)
{
    return w->error;
}

uint64_t
RecWriter_bytes(const RecWriter *w)
{
    return w->offset;
}

uint64_t
RecWriter_samples(const RecWriter *w)
{
    return w->samples;
}

/* ---- reader ------------------------------------------------------------ */

typedef struct NameEntry {
    pid_t tid;
    uint64_t t_ns;
    StrId name;
    size_t order; /* file order, to keep the sort stable */
} NameEntry;

struct RecReader {
    RecHeader header;
    char *command, *exe, *host;
    RecStatus status;
    char *message;
    Sample *samples;
    size_t n_samples, samples_cap;
    NameEntry *names;
    size_t n_names, names_cap;
    RecThread *threads;
    size_t n_threads;
    RecModule *modules;
    size_t n_modules, modules_cap;
};

/* Where the bytes come from: a file descriptor or memory. */
typedef struct Source {
    int fd;
    const uint8_t *mem;
    uint64_t size;
} Source;

/* Reads len bytes at off; false when they are not all there. */
static bool
source_read(const Source *src, uint64_t off, void *buf, size_t len)
{
    if (off > src->size || len > src->size - off)
        return false;
    if (len == 0)
        return true; /* buf may be NULL (an empty chunk): memcpy(NULL, p, 0) is undefined */
    if (src->mem) {
        memcpy(buf, src->mem + off, len);
        return true;
    }
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(src->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return true;
}

/* File ids to symtab ids, growing as definitions arrive. */
typedef struct IdVec {
    uint32_t *ids;
    size_t len, cap;
} IdVec;

static void
idvec_push(IdVec *v, uint32_t id)
{
    v->ids = xgrow(v->ids, &v->cap, v->len + 1, sizeof(uint32_t));
    v->ids[v->len++] = id;
}

typedef struct ReadState {
    RecReader *r;
    Symtab *symtab;
    IdVec strings, frames, stacks;
    FrameId *frames_tmp;
    size_t frames_tmp_cap;
    /* END */
    bool end_seen;
} ReadState;

static char *
cstr_from(const uint8_t *p, size_t len)
{
    return xstrndup(p ? (const char *)p : "", len);
}

static bool
parse_strings(ReadState *st, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *s = RecCursor_bytes(c, &len);
        if (c->bad)
            return false;
        idvec_push(&st->strings, Symtab_intern_string(st->symtab, (const char *)s, len));
    }
    return true;
}

static bool
get_id(RecCursor *c, const IdVec *table, uint32_t *out)
{
    uint64_t id = RecCursor_varint(c);
    if (c->bad || id >= table->len)
        return false;
    *out = table->ids[id];
    return true;
}

static bool
parse_frames(ReadState *st, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 5)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        SymtabFrame f;
        memset(&f, 0, sizeof(f));
        if (!get_id(c, &st->strings, &f.function) || !get_id(c, &st->strings, &f.file) ||
            !get_id(c, &st->strings, &f.module))
            return false;
        uint64_t line = RecCursor_varint(c);
        uint8_t kind = RecCursor_u8(c);
        if (c->bad || line > UINT32_MAX || kind > FRAME_PYTHON)
            return false;
        f.line = (uint32_t)line;
        f.kind = kind;
        idvec_push(&st->frames, Symtab_intern_frame(st->symtab, &f));
    }
    return true;
}

static bool
parse_stacks(ReadState *st, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t depth = RecCursor_varint(c);
        if (c->bad || depth > REC_STACK_DEPTH_MAX || depth > RecCursor_left(c))
            return false;
        st->frames_tmp = xgrow(st->frames_tmp, &st->frames_tmp_cap, (size_t)depth, sizeof(FrameId));
        for (uint64_t j = 0; j < depth; j++)
            if (!get_id(c, &st->frames, &st->frames_tmp[j]))
                return false;
        idvec_push(&st->stacks, Symtab_intern_stack(st->symtab, st->frames_tmp, (size_t)depth));
    }
    return true;
}

/* Adds a (signed) offset to the start time; false when it leaves the range. */
static bool
abs_time(const RecReader *r, int64_t rel, uint64_t *out)
{
    uint64_t base = r->header.start_mono_ns;
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

/* Reads the time column: codes, then the bit stream of magnitudes. */
static bool
read_times(const RecReader *r, RecCursor *c, Sample *out, size_t n)
{
    const uint8_t *codes = RecCursor_take(c, n);
    size_t nbytes;
    const uint8_t *bits = RecCursor_bytes(c, &nbytes);
    if (c->bad)
        return false;
    size_t pos = 0;   /* next byte of bits */
    uint64_t acc = 0; /* bits not used yet, low first */
    unsigned have = 0;
    int64_t rel = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned code = codes[i];
        if (code == TIME_NONE) {
            out[i].t_ns = 0; /* never stopped: no time; the chain goes on */
            continue;
        }
        if (code > 128)
            return false;
        bool negative = code > 64;
        unsigned len = negative ? code - 64 : code;
        uint64_t m = 0;
        for (unsigned need = len > 1 ? len - 1 : 0, got = 0; need > 0;) {
            if (have == 0) {
                if (pos == nbytes)
                    return false;
                acc = bits[pos++];
                have = 8;
            }
            unsigned take = need < have ? need : have;
            m |= (acc & ((1ull << take) - 1)) << got;
            acc >>= take;
            have -= take;
            got += take;
            need -= take;
        }
        if (len > 0)
            m |= 1ull << (len - 1); /* the leading one, not stored */
        int64_t d;
        if (!negative) {
            if (m > INT64_MAX)
                return false;
            d = (int64_t)m;
        } else {
            if (m > (uint64_t)INT64_MAX + 1)
                return false;
            d = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
        }
        int64_t ns;
        if (__builtin_add_overflow(rel, d, &rel) ||
            __builtin_mul_overflow(rel, (int64_t)r->header.time_unit_ns, &ns) ||
            !abs_time(r, ns, &out[i].t_ns))
            return false;
    }
    /* Every byte used, and the padding of the last one zero. */
    return pos == nbytes && acc == 0;
}

static bool
parse_samples(ReadState *st, RecCursor *c, char **why)
{
    RecReader *r = st->r;
    uint64_t ntids = RecCursor_varint(c);
    if (c->bad || ntids == 0 || ntids > RecCursor_left(c))
        return false;
    pid_t *tids = xreallocarray(NULL, (size_t)ntids, sizeof(pid_t));
    for (uint64_t i = 0; i < ntids && !c->bad; i++) {
        uint64_t tid = RecCursor_varint(c);
        if (tid == 0 || tid > INT32_MAX)
            c->bad = true;
        tids[i] = (pid_t)tid;
    }
    uint64_t n = RecCursor_varint(c);
    /* Each sample takes at least 3 bytes: time code, tid, reference. */
    if (c->bad || n == 0 || n > RecCursor_left(c) / 3) {
        free(tids);
        return false;
    }
    if (r->n_samples + n > REC_READ_SAMPLES_MAX) {
        *why = xasprintf("more than %u samples: the rest is not read", REC_READ_SAMPLES_MAX);
        free(tids);
        return false;
    }
    r->samples = xgrow(r->samples, &r->samples_cap, r->n_samples + n, sizeof(Sample));
    Sample *out = r->samples + r->n_samples;
    memset(out, 0, (size_t)n * sizeof(Sample));
    uint32_t *tix = xreallocarray(NULL, (size_t)n, sizeof(uint32_t));
    uint32_t *refs = xreallocarray(NULL, (size_t)n, sizeof(uint32_t));
    uint32_t *list_len = xcalloc((size_t)ntids, sizeof(uint32_t));
    uint32_t *list_base = xcalloc((size_t)ntids, sizeof(uint32_t));
    uint32_t *entry_sf = NULL; /* state << 9 | flags */
    uint32_t *entry_stack = NULL;
    bool ok = read_times(r, c, out, (size_t)n);
    for (uint64_t i = 0; i < n && ok; i++) {
        uint64_t x = RecCursor_varint(c);
        ok = !c->bad && x < ntids;
        tix[i] = (uint32_t)x;
        out[i].tid = ok ? tids[x] : 0;
    }
    /* References: check them and size each thread's list first; then read
     * the entries they add into those lists. */
    size_t added = 0;
    for (uint64_t i = 0; i < n && ok; i++) {
        uint64_t x = RecCursor_varint(c);
        ok = !c->bad && x <= list_len[tix[i]];
        refs[i] = (uint32_t)x;
        if (ok && x == list_len[tix[i]]) {
            list_len[tix[i]]++;
            added++;
        }
    }
    if (ok) {
        size_t base = 0;
        for (uint64_t t = 0; t < ntids; t++) {
            list_base[t] = (uint32_t)base;
            base += list_len[t];
            list_len[t] = 0;
        }
        entry_sf = xreallocarray(NULL, added ? added : 1, sizeof(uint32_t));
        entry_stack = xreallocarray(NULL, added ? added : 1, sizeof(uint32_t));
    }
    for (uint64_t i = 0; i < n && ok; i++) {
        uint32_t t = tix[i];
        if (refs[i] == list_len[t]) {
            uint8_t state = RecCursor_u8(c);
            uint64_t flags = RecCursor_varint(c);
            uint64_t stack = RecCursor_varint(c);
            ok = !c->bad && flags <= FLAG_ALL &&
                 (flags & FLAG_STATUS_MASK) >> FLAG_STATUS_SHIFT <= SAMPLE_FAILED &&
                 stack < st->stacks.len;
            if (!ok)
                break;
            uint32_t k = list_base[t] + list_len[t]++;
            entry_sf[k] = (uint32_t)state << 9 | (uint32_t)flags;
            entry_stack[k] = st->stacks.ids[stack];
        }
        uint32_t k = list_base[t] + refs[i];
        unsigned sf = entry_sf[k], flags = sf & FLAG_ALL;
        out[i].state = (char)(sf >> 9);
        out[i].group_stopped = flags & FLAG_GROUP_STOPPED;
        out[i].blocked = (flags & FLAG_BLOCKED) != 0;
        out[i].status = (SampleStatus)((flags & FLAG_STATUS_MASK) >> FLAG_STATUS_SHIFT);
        out[i].end = (UnwindEnd)((flags & FLAG_END_MASK) >> FLAG_END_SHIFT);
        out[i].python = (flags & FLAG_PYTHON) != 0;
        out[i].holds_gil = (flags & FLAG_HOLDS_GIL) != 0;
        out[i].stack = entry_stack[k];
    }
    free(tids);
    free(tix);
    free(refs);
    free(list_len);
    free(list_base);
    free(entry_sf);
    free(entry_stack);
    if (!ok || c->bad)
        return false;
    r->n_samples += (size_t)n;
    return true;
}

static bool
parse_threads(ReadState *st, RecCursor *c)
{
    RecReader *r = st->r;
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 3)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t tid = RecCursor_varint(c);
        int64_t rel = RecCursor_svarint(c);
        size_t len;
        const uint8_t *name = RecCursor_bytes(c, &len);
        uint64_t t;
        if (c->bad || tid == 0 || tid > INT32_MAX || !abs_time(r, rel, &t))
            return false;
        r->names = xgrow(r->names, &r->names_cap, r->n_names + 1, sizeof(NameEntry));
        r->names[r->n_names] = (NameEntry){
            .tid = (pid_t)tid,
            .t_ns = t,
            .name = Symtab_intern_string(st->symtab, (const char *)name, len),
            .order = r->n_names,
        };
        r->n_names++;
    }
    return true;
}

static bool
parse_modules(ReadState *st, RecCursor *c)
{
    RecReader *r = st->r;
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 2)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        size_t plen, blen;
        const uint8_t *path = RecCursor_bytes(c, &plen);
        const uint8_t *build = RecCursor_bytes(c, &blen);
        if (c->bad)
            return false;
        r->modules = xgrow(r->modules, &r->modules_cap, r->n_modules + 1, sizeof(RecModule));
        r->modules[r->n_modules++] = (RecModule){
            Symtab_intern_string(st->symtab, (const char *)path, plen),
            Symtab_intern_string(st->symtab, (const char *)build, blen),
        };
    }
    return true;
}

static bool
parse_end(ReadState *st, RecCursor *c, char **why)
{
    uint64_t samples = RecCursor_varint(c);
    RecCursor_svarint(c);
    uint64_t strings = RecCursor_varint(c);
    uint64_t frames = RecCursor_varint(c);
    uint64_t stacks = RecCursor_varint(c);
    if (c->bad)
        return false;
    if (samples != st->r->n_samples || strings != st->strings.len || frames != st->frames.len ||
        stacks != st->stacks.len) {
        *why = xasprintf("the end record counts %llu samples, the file holds %zu",
                         (unsigned long long)samples, st->r->n_samples);
        return false;
    }
    st->end_seen = true;
    return true;
}

static const char *
chunk_name(unsigned type)
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
    }
    return "unknown";
}

/* Parses one chunk's payload. Definitions interned into the symtab stay
 * there when the chunk turns out bad, but every table the samples use is
 * rolled back, so a chunk counts whole or not at all. */
static bool
parse_chunk(ReadState *st, unsigned type, const uint8_t *raw, size_t len, char **why)
{
    RecReader *r = st->r;
    size_t strings = st->strings.len, frames = st->frames.len, stacks = st->stacks.len;
    size_t samples = r->n_samples, names = r->n_names, modules = r->n_modules;
    RecCursor c = {raw, raw + len, false};
    bool ok = false;
    switch (type) {
    case REC_CHUNK_STRINGS:
        ok = parse_strings(st, &c);
        break;
    case REC_CHUNK_FRAMES:
        ok = parse_frames(st, &c);
        break;
    case REC_CHUNK_STACKS:
        ok = parse_stacks(st, &c);
        break;
    case REC_CHUNK_SAMPLES:
        ok = parse_samples(st, &c, why);
        break;
    case REC_CHUNK_THREADS:
        ok = parse_threads(st, &c);
        break;
    case REC_CHUNK_MODULES:
        ok = parse_modules(st, &c);
        break;
    case REC_CHUNK_END:
        ok = parse_end(st, &c, why);
        break;
    default:
        return true;
    }
    /* Trailing bytes in a chunk are room for later versions. */
    if (ok && !c.bad)
        return true;
    st->strings.len = strings;
    st->frames.len = frames;
    st->stacks.len = stacks;
    r->n_samples = samples;
    r->n_names = names;
    r->n_modules = modules;
    if (!*why)
        *why = xasprintf("malformed %s chunk", chunk_name(type));
    return false;
}

static int
compare_names(const void *pa, const void *pb)
{
    const NameEntry *a = pa, *b = pb;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static int
compare_pids(const void *pa, const void *pb)
{
    pid_t a = *(const pid_t *)pa, b = *(const pid_t *)pb;
    return (a > b) - (a < b);
}

static RecThread *
find_thread(const RecReader *r, pid_t tid)
{
    size_t lo = 0, hi = r->n_threads;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->threads[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_threads && r->threads[lo].tid == tid ? &r->threads[lo] : NULL;
}

/* Names sorted by (tid, time); the thread list from samples and names. */
static void
build_threads(RecReader *r)
{
    if (r->n_names > 1)
        qsort(r->names, r->n_names, sizeof(NameEntry), compare_names);
    size_t n = r->n_samples + r->n_names;
    pid_t *tids = xreallocarray(NULL, n ? n : 1, sizeof(pid_t));
    for (size_t i = 0; i < r->n_samples; i++)
        tids[i] = r->samples[i].tid;
    for (size_t i = 0; i < r->n_names; i++)
        tids[r->n_samples + i] = r->names[i].tid;
    if (n > 1)
        qsort(tids, n, sizeof(pid_t), compare_pids);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || tids[unique - 1] != tids[i])
            tids[unique++] = tids[i];
    r->threads = xcalloc(unique ? unique : 1, sizeof(RecThread));
    r->n_threads = unique;
    for (size_t i = 0; i < unique; i++) {
        r->threads[i].tid = tids[i];
        r->threads[i].first_ns = UINT64_MAX;
    }
    free(tids);
    for (size_t i = 0; i < r->n_samples; i++) {
        RecThread *t = find_thread(r, r->samples[i].tid);
        t->samples++;
        if (r->samples[i].t_ns == 0)
            continue; /* never stopped: no time */
        if (r->samples[i].t_ns < t->first_ns)
            t->first_ns = r->samples[i].t_ns;
        if (r->samples[i].t_ns > t->last_ns)
            t->last_ns = r->samples[i].t_ns;
    }
    for (size_t i = 0; i < r->n_names; i++) /* sorted: the last one wins */
        find_thread(r, r->names[i].tid)->name = r->names[i].name;
    for (size_t i = 0; i < unique; i++)
        if (r->threads[i].first_ns == UINT64_MAX)
            r->threads[i].first_ns = 0;
}

/* The header: magic, version, then the CRC-checked header record. */
static RecReader *
read_header(const Source *src, const char *name, uint64_t *offset, char **cause)
{
    uint8_t fixed[HEADER_FIXED_LEN];
    if (!source_read(src, 0, fixed, REC_MAGIC_LEN) || memcmp(fixed, REC_MAGIC, REC_MAGIC_LEN)) {
        if (cause)
            *cause = xasprintf("%s: not a spytop recording", name);
        return NULL;
    }
    if (!source_read(src, 0, fixed, sizeof(fixed))) {
        if (cause)
            *cause = xasprintf("%s: the recording's header is cut short", name);
        return NULL;
    }
    uint32_t version = get_u32le(fixed + REC_MAGIC_LEN);
    uint32_t len = get_u32le(fixed + REC_MAGIC_LEN + 4);
    uint32_t crc = get_u32le(fixed + REC_MAGIC_LEN + 8);
    if (version > REC_VERSION || version == 0) {
        if (cause)
            *cause = xasprintf("%s: format version %u is newer than this spytop reads (%u)", name,
                               version, REC_VERSION);
        return NULL;
    }
    if (len > REC_HEADER_MAX || len > src->size - sizeof(fixed)) {
        if (cause)
            *cause = xasprintf("%s: the recording's header is damaged or cut short", name);
        return NULL;
    }
    uint8_t *body = xmalloc(len ? len : 1);
    if (!source_read(src, sizeof(fixed), body, len) ||
        (uint32_t)crc32(crc32(0L, fixed + REC_MAGIC_LEN, 8), body, len) != crc) {
        free(body);
        if (cause)
            *cause = xasprintf("%s: the recording's header is damaged (bad checksum)", name);
        return NULL;
    }
    RecCursor c = {body, body + len, false};
    uint64_t pid = RecCursor_varint(&c);
    uint64_t unix_ns = RecCursor_varint(&c);
    uint64_t mono_ns = RecCursor_varint(&c);
    uint64_t rate = RecCursor_varint(&c);
    size_t clen, elen, hlen;
    const uint8_t *command = RecCursor_bytes(&c, &clen);
    const uint8_t *exe = RecCursor_bytes(&c, &elen);
    const uint8_t *host = RecCursor_bytes(&c, &hlen);
    uint64_t unit = RecCursor_left(&c) ? RecCursor_varint(&c) : 1;
    if (c.bad || pid > INT32_MAX || rate > UINT_MAX || unit == 0 || unit > 1000000000) {
        free(body);
        if (cause)
            *cause = xasprintf("%s: the recording's header is malformed", name);
        return NULL;
    }
    RecReader *r = xcalloc(1, sizeof(*r));
    r->command = cstr_from(command, clen);
    r->exe = cstr_from(exe, elen);
    r->host = cstr_from(host, hlen);
    r->header = (RecHeader){
        .pid = (pid_t)pid,
        .command = r->command,
        .exe = r->exe,
        .host = r->host,
        .start_unix_ns = unix_ns,
        .start_mono_ns = mono_ns,
        .rate_hz = (unsigned)rate,
        .time_unit_ns = (uint32_t)unit,
    };
    free(body);
    *offset = sizeof(fixed) + len;
    return r;
}

static RecReader *
read_recording(const Source *src, const char *name, Symtab *symtab, char **cause)
{
    uint64_t off;
    RecReader *r = read_header(src, name, &off, cause);
    if (!r)
        return NULL;
    ReadState st = {.r = r, .symtab = symtab};
    char *why = NULL;
    uint8_t *zbuf = NULL, *raw = NULL;
    size_t zcap = 0, rcap = 0;
    const uLong zmax = compressBound(REC_CHUNK_RAW_MAX);
    uint64_t good = off;
    while (!st.end_seen) {
        if (off == src->size)
            break; /* no END: said below */
        uint8_t head[REC_CHUNK_HEAD_LEN];
        if (!source_read(src, off, head, sizeof(head))) {
            why = xstrdup("the file ends inside a chunk");
            break;
        }
        unsigned type = head[0];
        uint32_t zlen = get_u32le(head + 1), rlen = get_u32le(head + 5);
        uint32_t crc = get_u32le(head + 9);
        if (zlen > zmax || rlen > REC_CHUNK_RAW_MAX) {
            why = xstrdup("a chunk claims an impossible size");
            break;
        }
        if (zlen > src->size - off - sizeof(head)) {
            why = xstrdup("the file ends inside a chunk");
            break;
        }
        if (zcap < zlen) {
            free(zbuf);
            zcap = zlen;
            zbuf = xmalloc(zcap);
        }
        if (!source_read(src, off + sizeof(head), zbuf, zlen)) {
            why = xstrdup("the file ends inside a chunk");
            break;
        }
        if ((uint32_t)crc32(crc32(0L, head, 9), zbuf, zlen) != crc) {
            why = xstrdup("bad checksum");
            break;
        }
        if (type < REC_CHUNK_STRINGS || type > REC_CHUNK_END) {
            off += sizeof(head) + zlen; /* a later version's chunk: skip it */
            good = off;
            continue;
        }
        if (rcap < rlen || !raw) {
            free(raw);
            rcap = rlen ? rlen : 1;
            raw = xmalloc(rcap);
        }
        uLongf got = rlen;
        int zr = uncompress(raw, &got, zbuf, zlen);
        if (zr != Z_OK || got != rlen) {
            why = xasprintf("a %s chunk does not decompress", chunk_name(type));
            break;
        }
        if (!parse_chunk(&st, type, raw, rlen, &why))
            break;
        off += sizeof(head) + zlen;
        good = off;
    }
    free(zbuf);
    free(raw);
    free(st.strings.ids);
    free(st.frames.ids);
    free(st.stacks.ids);
    free(st.frames_tmp);

    build_threads(r);
    uint64_t last = 0;
    for (size_t i = 0; i < r->n_samples; i++)
        if (r->samples[i].t_ns > last)
            last = r->samples[i].t_ns;
    r->status.duration_ns = last > r->header.start_mono_ns ? last - r->header.start_mono_ns : 0;
    r->status.bytes_read = good;
    r->status.bytes_total = src->size;
    if (st.end_seen && good < src->size) {
        free(why);
        why = xasprintf("%llu bytes after the end record", (unsigned long long)(src->size - good));
    }
    r->status.complete = st.end_seen && !why;
    double seconds = (double)r->status.duration_ns / 1e9;
    if (r->status.complete)
        r->message = xasprintf("complete: %zu samples over %.1f s", r->n_samples, seconds);
    else if (!why)
        r->message = xasprintf("no end record after byte %llu (the recorder did not finish): "
                               "recovered %zu samples of the first %.1f s",
                               (unsigned long long)good, r->n_samples, seconds);
    else
        r->message = xasprintf("truncated at byte %llu of %llu (%s): recovered %zu samples of the "
                               "first %.1f s",
                               (unsigned long long)good, (unsigned long long)src->size, why,
                               r->n_samples, seconds);
    free(why);
    r->status.message = r->message;
    return r;
}

RecReader *
RecReader_open_buffer(const void *data, size_t size, const char *name, Symtab *symtab, char **cause)
{
    Source src = {.fd = -1, .mem = data ? data : (const uint8_t *)"", .size = data ? size : 0};
    return read_recording(&src, name, symtab, cause);
}

RecReader *
RecReader_open(const char *path, Symtab *symtab, char **cause)
{
    /* O_NONBLOCK: a FIFO must not hang the reader; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (cause)
            *cause = xasprintf("open %s: %s", path, strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (cause)
            *cause = xasprintf("%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    Source src = {.fd = fd, .size = (uint64_t)st.st_size};
    RecReader *r = read_recording(&src, path, symtab, cause);
    close(fd);
    return r;
}

void
RecReader_delete(RecReader *r)
{
    if (!r)
        return;
    free(r->command);
    free(r->exe);
    free(r->host);
    free(r->message);
    free(r->samples);
    free(r->names);
    free(r->threads);
    free(r->modules);
    free(r);
}

const RecHeader *
RecReader_header(const RecReader *r)
{
    return &r->header;
}

const RecStatus *
RecReader_status(const RecReader *r)
{
    return &r->status;
}

const Sample *
RecReader_samples(const RecReader *r, size_t *count)
{
    *count = r->n_samples;
    return r->samples;
}

const RecThread *
RecReader_threads(const RecReader *r, size_t *count)
{
    *count = r->n_threads;
    return r->threads;
}

const RecThread *
RecReader_thread(const RecReader *r, pid_t tid)
{
    return find_thread(r, tid);
}

StrId
RecReader_thread_name_at(const RecReader *r, pid_t tid, uint64_t t_ns)
{
    /* The first entry after (tid, t_ns); the one before it is the answer. */
    size_t lo = 0, hi = r->n_names;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const NameEntry *e = &r->names[mid];
        if (e->tid < tid || (e->tid == tid && e->t_ns <= t_ns))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && r->names[lo - 1].tid == tid)
        return r->names[lo - 1].name;
    if (lo < r->n_names && r->names[lo].tid == tid)
        return r->names[lo].name; /* named only later */
    return SYMTAB_EMPTY;
}

const RecModule *
RecReader_modules(const RecReader *r, size_t *count)
{
    *count = r->n_modules;
    return r->modules;
}

const char *
Rec_zlib_version(bool running)
{
    return running ? zlibVersion() : ZLIB_VERSION;
}
