#include "config.h"

#include "recreader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashindex.h"
#include "recbuf.h"
#include "recdecoder.h"
#include "util.h"

struct RecReader {
    RecHeader header;
    char *command, *exe, *host;
    RecStatus status;
    char *message;
    Sample *samples;
    size_t n_samples;
    RecName *names; /* sorted by (tid, time) */
    size_t n_names;
    RecThread *threads;
    size_t n_threads;
    RecModule *modules;
    size_t n_modules;
    RecProcessMark *marks;
    size_t n_marks;
    RecProcess *processes;
    size_t n_processes;
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

static char *
cstr_from(const uint8_t *p, size_t len)
{
    return xstrndup(p ? (const char *)p : "", len);
}

static int
compare_names(const void *pa, const void *pb)
{
    const RecName *a = pa, *b = pb;
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
        qsort(r->names, r->n_names, sizeof(RecName), compare_names);
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
        r->threads[i].pid = r->header.pid;
        r->threads[i].first_ns = UINT64_MAX;
    }
    free(tids);
    for (size_t i = 0; i < r->n_samples; i++) {
        RecThread *t = find_thread(r, r->samples[i].tid);
        t->pid = r->samples[i].pid;
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

static RecProcess *
find_process(const RecReader *r, pid_t pid)
{
    size_t lo = 0, hi = r->n_processes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->processes[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_processes && r->processes[lo].pid == pid ? &r->processes[lo] : NULL;
}

static void
seen_at(RecProcess *p, uint64_t t_ns)
{
    if (t_ns == 0)
        return;
    if (!p->first_ns || t_ns < p->first_ns)
        p->first_ns = t_ns;
    if (t_ns > p->last_ns)
        p->last_ns = t_ns;
}

/* The process list from the header, the marks and the samples. */
static void
build_processes(RecReader *r, Symtab *symtab)
{
    size_t n = r->n_marks + 1;
    pid_t *pids = xreallocarray(NULL, n, sizeof(pid_t));
    size_t k = 0;
    if (r->header.pid > 0)
        pids[k++] = r->header.pid;
    for (size_t i = 0; i < r->n_marks; i++)
        pids[k++] = r->marks[i].pid;
    /* The samples' pids, found once each. */
    HashIndex seen = {0};
    for (size_t i = 0; i < r->n_samples; i++) {
        pid_t pid = r->samples[i].pid;
        size_t before = seen.count;
        HashIndex_intern(&seen, (uint32_t)pid, (uint32_t)before, NULL, NULL);
        if (seen.count > before) {
            pids = xreallocarray(pids, k + 1, sizeof(pid_t));
            pids[k++] = pid;
        }
    }
    HashIndex_done(&seen);
    if (k > 1)
        qsort(pids, k, sizeof(pid_t), compare_pids);
    size_t unique = 0;
    for (size_t i = 0; i < k; i++)
        if (unique == 0 || pids[unique - 1] != pids[i])
            pids[unique++] = pids[i];
    r->processes = xcalloc(unique ? unique : 1, sizeof(RecProcess));
    r->n_processes = unique;
    for (size_t i = 0; i < unique; i++)
        r->processes[i] = (RecProcess){.pid = pids[i], .command = SYMTAB_EMPTY};
    free(pids);
    for (size_t i = 0; i < r->n_marks; i++) {
        const RecProcessMark *m = &r->marks[i];
        RecProcess *p = find_process(r, m->pid);
        seen_at(p, m->t_ns);
        p->gone_ns = m->event == REC_PROCESS_GONE ? m->t_ns : 0;
        if (m->event == REC_PROCESS_FOLLOWED && p->command == SYMTAB_EMPTY)
            p->command = m->command;
    }
    RecProcess *target = find_process(r, r->header.pid);
    if (target && target->command == SYMTAB_EMPTY && r->header.command[0])
        target->command = Symtab_intern_cstr(symtab, r->header.command);
    /* Samples and threads: a thread is a (pid, tid) pair. */
    HashIndex threads = {0};
    for (size_t i = 0; i < r->n_samples; i++) {
        const Sample *s = &r->samples[i];
        RecProcess *p = find_process(r, s->pid);
        p->samples++;
        seen_at(p, s->t_ns);
        uint64_t key = (uint64_t)(uint32_t)s->pid << 32 | (uint32_t)s->tid;
        size_t before = threads.count;
        HashIndex_intern(&threads, key, (uint32_t)before, NULL, NULL);
        if (threads.count > before)
            p->threads++;
    }
    HashIndex_done(&threads);
}

/* The header: magic, version, then the CRC-checked header record. */
static RecReader *
read_header(const Source *src, const char *name, uint64_t *offset, char **cause)
{
    uint8_t fixed[REC_HEADER_FIXED_LEN];
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
    uint32_t version = Rec_get_u32le(fixed + REC_MAGIC_LEN);
    uint32_t len = Rec_get_u32le(fixed + REC_MAGIC_LEN + 4);
    uint32_t crc = Rec_get_u32le(fixed + REC_MAGIC_LEN + 8);
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
    if (!source_read(src, sizeof(fixed), body, len) || Rec_header_crc(fixed, body, len) != crc) {
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
        .version = version,
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
    RecDecoder d;
    RecDecoder_init(&d, symtab, &r->header);
    char *why = NULL;
    uint8_t *zbuf = NULL, *raw = NULL;
    size_t zcap = 0, rcap = 0;
    const size_t zmax = Rec_compress_bound(REC_CHUNK_RAW_MAX);
    uint64_t good = off;
    while (!d.end_seen) {
        if (off == src->size)
            break; /* no END: said below */
        uint8_t head[REC_CHUNK_HEAD_LEN];
        if (!source_read(src, off, head, sizeof(head))) {
            why = xstrdup("the file ends inside a chunk");
            break;
        }
        RecChunkHead h;
        RecChunkHead_decode(&h, head);
        unsigned type = h.type;
        uint32_t zlen = h.zlen, rlen = h.rlen;
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
        if (!RecChunkHead_check(&h, head, zbuf)) {
            why = xstrdup("bad checksum");
            break;
        }
        if (!RecDecoder_knows(&d, type)) {
            off += sizeof(head) + zlen; /* a later version's chunk: skip it */
            good = off;
            continue;
        }
        if (rcap < rlen || !raw) {
            free(raw);
            rcap = rlen ? rlen : 1;
            raw = xmalloc(rcap);
        }
        if (!Rec_uncompress(zbuf, zlen, raw, rlen)) {
            why = xasprintf("a %s chunk does not decompress", Rec_chunk_name(type));
            break;
        }
        if (!RecDecoder_chunk(&d, type, raw, rlen, &why))
            break;
        off += sizeof(head) + zlen;
        good = off;
    }
    free(zbuf);
    free(raw);
    /* The reader takes what was decoded. */
    r->samples = d.samples;
    r->n_samples = d.n_samples;
    r->names = d.names;
    r->n_names = d.n_names;
    r->modules = d.modules;
    r->n_modules = d.n_modules;
    r->marks = d.marks;
    r->n_marks = d.n_marks;
    bool end_seen = d.end_seen;
    d.samples = NULL;
    d.names = NULL;
    d.modules = NULL;
    d.marks = NULL;
    RecDecoder_done(&d);

    build_threads(r);
    build_processes(r, symtab);
    uint64_t last = 0;
    for (size_t i = 0; i < r->n_samples; i++)
        if (r->samples[i].t_ns > last)
            last = r->samples[i].t_ns;
    r->status.duration_ns = last > r->header.start_mono_ns ? last - r->header.start_mono_ns : 0;
    r->status.bytes_read = good;
    r->status.bytes_total = src->size;
    if (end_seen && good < src->size) {
        free(why);
        why = xasprintf("%llu bytes after the end record", (unsigned long long)(src->size - good));
    }
    r->status.complete = end_seen && !why;
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
    Source src = {.fd = fd};
    if (!Util_regular_or_close(fd, path, &src.size, cause))
        return NULL;
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
    free(r->marks);
    free(r->processes);
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
        const RecName *e = &r->names[mid];
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

const RecProcess *
RecReader_processes(const RecReader *r, size_t *count)
{
    *count = r->n_processes;
    return r->processes;
}

const RecProcess *
RecReader_process(const RecReader *r, pid_t pid)
{
    return find_process(r, pid);
}

#define NO_PROCESS_LISTED 20

char *
RecReader_no_process(const RecReader *r, const char *name, pid_t pid)
{
    if (find_process(r, pid))
        return NULL;
    RecBuf list = {0};
    size_t shown = r->n_processes < NO_PROCESS_LISTED ? r->n_processes : NO_PROCESS_LISTED;
    for (size_t i = 0; i < shown; i++) {
        char one[32];
        snprintf(one, sizeof(one), "%s%d",
                 i == 0                                      ? ""
                 : i + 1 == shown && shown == r->n_processes ? " and "
                                                             : ", ",
                 (int)r->processes[i].pid);
        RecBuf_put(&list, one, strlen(one));
    }
    if (shown < r->n_processes) {
        char more[48];
        snprintf(more, sizeof(more), " and %zu more", r->n_processes - shown);
        RecBuf_put(&list, more, strlen(more));
    }
    RecBuf_put_u8(&list, 0);
    char *message = r->n_processes == 0
                        ? xasprintf("%s holds no process %d: it holds no samples", name, (int)pid)
                        : xasprintf("%s holds no process %d: it holds %s %s (--pid PID selects "
                                    "one)",
                                    name, (int)pid, r->n_processes == 1 ? "PID" : "PIDs",
                                    (const char *)list.data);
    RecBuf_done(&list);
    return message;
}
