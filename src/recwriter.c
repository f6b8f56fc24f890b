#include "config.h"

#include "recwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "recbuf.h"
#include "recsamples.h"
#include "util.h"

#define WRITER_SAMPLES_PER_CHUNK 65536u
#define WRITER_DEFS_FLUSH_BYTES (16u << 20)

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
    pid_t pid;       /* the header's: samples of an unknown process */
    uint64_t offset; /* the file's whole part: header and complete chunks */
    int err;
    char *error;
    uint64_t samples;
    int64_t last_rel; /* the last sample's time after the start */

    IdMap strings, frames, stacks;
    /* Definitions and names waiting for the next flush, with their counts. */
    RecBuf q_strings, q_frames, q_stacks, q_threads, q_modules, q_processes;
    uint32_t n_strings, n_frames, n_stacks, n_threads, n_modules, n_processes;

    RecSamples chunk; /* samples waiting */

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
    size_t need = REC_CHUNK_HEAD_LEN + Rec_compress_bound(raw_len);
    if (w->zcap < need) {
        free(w->zbuf);
        w->zcap = need;
        w->zbuf = xmalloc(need);
    }
    size_t zlen;
    int err = Rec_compress(raw, raw_len, w->zbuf + REC_CHUNK_HEAD_LEN, &zlen);
    if (err)
        return writer_fail(w, err, "compress2 for");
    RecChunkHead_encode(w->zbuf, type, w->zbuf + REC_CHUNK_HEAD_LEN, (uint32_t)zlen,
                        (uint32_t)raw_len);
    err = write_all(w, w->zbuf, REC_CHUNK_HEAD_LEN + zlen);
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

/* SAMPLES (recsamples.h): what is queued, as one chunk. */
static int
write_samples(RecWriter *w)
{
    if (RecSamples_count(&w->chunk) == 0)
        return 0;
    w->raw.len = 0;
    RecSamples_finish(&w->chunk, &w->raw);
    return write_chunk(w, REC_CHUNK_SAMPLES, w->raw.data, w->raw.len);
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
    RecBuf *bufs[] = {&w->q_strings, &w->q_frames,    &w->q_stacks, &w->q_threads,
                      &w->q_modules, &w->q_processes, &w->raw};
    for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
        RecBuf_done(bufs[i]);
    RecSamples_done(&w->chunk);
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
    w->pid = header->pid > 0 ? header->pid : 0;

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
    RecBuf_put_u32le(&head, Rec_header_crc(head.data, body.data, body.len));
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
    bool created;
    int fd = Outfile_open(path, force, 0600, &created, cause);
    if (fd < 0)
        return NULL;
    RecWriter *w = RecWriter_open_fd(fd, path, header, cause);
    if (!w && created)
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
    /* Times are stored relative to the start, in time units. A sample
     * that was never stopped has no time (0). */
    int64_t units = 0;
    if (sample->t_ns != 0) {
        int64_t rel = (int64_t)(sample->t_ns - w->start_mono_ns);
        int64_t unit = w->time_unit_ns;
        units = rel / unit - (rel % unit < 0); /* rounded down */
        w->last_rel = rel;
    }
    uint32_t state_flags =
        (uint32_t)(uint8_t)sample->state << REC_FLAG_BITS | Rec_sample_flags(sample);
    pid_t pid = sample->pid > 0 ? sample->pid : w->pid;
    RecSamples_add(&w->chunk, sample->t_ns != 0, units, pid, sample->tid, state_flags, stack);
    w->samples++;
    if (RecSamples_count(&w->chunk) >= WRITER_SAMPLES_PER_CHUNK)
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

static int
process_mark(RecWriter *w, pid_t pid, RecProcessEvent event, const char *command, uint64_t t_ns)
{
    if (w->err)
        return w->err;
    if (pid <= 0)
        return -EINVAL;
    RecBuf_put_varint(&w->q_processes, (uint64_t)pid);
    RecBuf_put_u8(&w->q_processes, (uint8_t)event);
    RecBuf_put_svarint(&w->q_processes, (int64_t)(t_ns - w->start_mono_ns));
    put_cstr(&w->q_processes, command);
    w->n_processes++;
    if (w->q_processes.len >= WRITER_DEFS_FLUSH_BYTES)
        return write_list(w, REC_CHUNK_PROCESSES, &w->q_processes, &w->n_processes);
    return 0;
}

int
RecWriter_process(RecWriter *w, pid_t pid, const char *command, uint64_t t_ns)
{
    return process_mark(w, pid, REC_PROCESS_FOLLOWED, command, t_ns);
}

int
RecWriter_process_gone(RecWriter *w, pid_t pid, uint64_t t_ns)
{
    return process_mark(w, pid, REC_PROCESS_GONE, "", t_ns);
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
        err = write_list(w, REC_CHUNK_PROCESSES, &w->q_processes, &w->n_processes);
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
