/* Unit tests for src/recfile.c: varints, a round trip of samples, strings,
 * frames, stacks, threads and header, the size of a steady recording, and
 * a reader that survives any damage: every truncation, flipped bytes,
 * forged chunks with valid checksums. Also the output file's safety rules
 * (O_EXCL, O_NOFOLLOW, --force on regular files only) and write errors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "unit.h"

#include "recbuf.h"
#include "recformat.h"
#include "recreader.h"
#include "recwriter.h"
#include "symtab.h"
#include "util.h"

/* A deterministic generator, so a failure reproduces. */
static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* ---- a scratch directory ------------------------------------------------ */

typedef struct Scratch {
    char dir[256];
    char path[512];
} Scratch;

static int
setup_scratch(void **state)
{
    Scratch *s = calloc(1, sizeof(*s));
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof(s->dir), "%s/spytop-rec-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        free(s);
        return -1;
    }
    snprintf(s->path, sizeof(s->path), "%s/rec.spytop", s->dir);
    *state = s;
    return 0;
}

/* With SPYTOP_TEST_RECORDINGS=DIR each test's recording is kept there
 * (the fuzzers' seeds: make fuzz-seeds). */
static int
teardown_scratch(void **state)
{
    Scratch *s = *state;
    char cmd[4096];
    const char *keep = getenv("SPYTOP_TEST_RECORDINGS");
    if (keep && *keep) {
        int n =
            snprintf(cmd, sizeof(cmd), "test -f '%s' && test ! -L '%s' && cp '%s' '%s/%s.spytop'",
                     s->path, s->path, s->path, keep, strrchr(s->dir, '/') + 1);
        if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0)
            diag("kept no recording of %s", s->dir);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        diag("could not remove %s", s->dir);
    free(s);
    return 0;
}

static uint8_t *
slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *data = malloc((size_t)n + 1);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

/* ---- a synthetic workload ----------------------------------------------- */

#define START_MONO 5000000000000ull

static const RecHeader test_header = {
    .pid = 4242,
    .command = "./server --port 8080 \"quoted\" \xff",
    .exe = "/usr/bin/server",
    .host = "build-host",
    .start_unix_ns = 1700000000123456789ull,
    .start_mono_ns = START_MONO,
    .rate_hz = 100,
};

/* Threads each run under a shared outer chain of frames and spend their
 * time in one of a few inner paths; stacks are `depth` frames deep. */
typedef struct Workload {
    Symtab *symtab;
    unsigned threads, depth, variants;
    StackId *stacks; /* [thread][variant] */
    uint64_t rng;
    uint64_t t; /* the current tick */
} Workload;

static void
workload_init(Workload *w, Symtab *st, unsigned threads, unsigned depth, unsigned variants)
{
    memset(w, 0, sizeof(*w));
    w->symtab = st;
    w->threads = threads;
    w->depth = depth;
    w->variants = variants;
    w->rng = 0x9e3779b97f4a7c15ull;
    w->t = START_MONO + 1000000;
    w->stacks = calloc((size_t)threads * variants, sizeof(StackId));
    FrameId *frames = calloc(depth, sizeof(FrameId));
    char name[128];
    for (unsigned th = 0; th < threads; th++) {
        for (unsigned v = 0; v < variants; v++) {
            /* innermost first: variant frames, then the thread's worker,
             * then the chain every thread shares. */
            unsigned inner = depth / 6 + 1;
            for (unsigned i = 0; i < depth; i++) {
                unsigned outer_index = depth - 1 - i;
                if (i < inner) {
                    snprintf(name, sizeof(name), "compute_%u_%u<std::vector<int>>", v, i);
                    frames[i] = unit_frame(st, name, "/src/app/compute.cc", "/usr/bin/server",
                                           100 + v * 10 + i,
                                           i == 0 && v % 2 ? FRAME_INLINED : FRAME_NATIVE);
                } else if (i < inner + 2) {
                    snprintf(name, sizeof(name), "worker_%u_level%u", th, i);
                    frames[i] = unit_frame(st, name, "/src/app/worker.cc", "/usr/bin/server",
                                           40 + i, FRAME_NATIVE);
                } else {
                    snprintf(name, sizeof(name), "chain_%u", outer_index);
                    frames[i] = unit_frame(st, name, outer_index < 2 ? "" : "/src/app/main.cc",
                                           outer_index < 2 ? "/lib/x86_64-linux-gnu/libc.so.6"
                                                           : "/usr/bin/server",
                                           outer_index < 2 ? 0 : 10 + outer_index, FRAME_NATIVE);
                }
            }
            w->stacks[th * variants + v] = Symtab_intern_stack(st, frames, depth);
        }
    }
    free(frames);
}

static void
workload_done(Workload *w)
{
    free(w->stacks);
}

/* One tick as the live loop makes it: 3/4 of the interval plus up to half
 * of it as jitter, then each thread stopped in turn some tens of µs apart.
 * Writes threads samples into out. */
static void
workload_tick(Workload *w, Sample *out)
{
    uint64_t interval = 10000000; /* 100 Hz */
    w->t += interval * 3 / 4 + next_random(&w->rng) % (interval / 2 + 1);
    uint64_t t = w->t;
    for (unsigned th = 0; th < w->threads; th++) {
        t += 15000 + next_random(&w->rng) % 30000;
        uint64_t r = next_random(&w->rng);
        /* A skewed choice: the first variants are the hot ones. */
        unsigned v = (unsigned)(r % w->variants);
        if (w->variants > 3 && (r >> 32) % 4 != 0)
            v %= 3;
        bool sleeping = th == w->threads - 1 && (r >> 40) % 5 == 0;
        out[th] = (Sample){
            .t_ns = t,
            .tid = 1000 + (pid_t)th,
            .state = sleeping ? 'S' : 'R',
            .blocked = sleeping,
            .status = SAMPLE_OK,
            .end = UNWIND_COMPLETE,
            .stack = w->stacks[th * w->variants + v],
        };
    }
}

/* ---- comparing samples -------------------------------------------------- */

static bool
same_stack(const Symtab *a, StackId sa, const Symtab *b, StackId sb)
{
    size_t na, nb;
    const FrameId *fa = Symtab_stack(a, sa, &na);
    const FrameId *fb = Symtab_stack(b, sb, &nb);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        const SymtabFrame *x = Symtab_frame(a, fa[i]), *y = Symtab_frame(b, fb[i]);
        if (strcmp(Symtab_string(a, x->function), Symtab_string(b, y->function)) ||
            strcmp(Symtab_string(a, x->file), Symtab_string(b, y->file)) ||
            strcmp(Symtab_string(a, x->module), Symtab_string(b, y->module)) ||
            x->line != y->line || x->kind != y->kind)
            return false;
    }
    return true;
}

/* A sample written without a pid is read as the header's. */
static pid_t
pid_of(const Sample *s)
{
    return s->pid ? s->pid : test_header.pid;
}

static bool
same_sample(const Symtab *a, const Sample *x, const Symtab *b, const Sample *y)
{
    return x->t_ns == y->t_ns && pid_of(x) == pid_of(y) && x->tid == y->tid &&
           x->state == y->state && x->group_stopped == y->group_stopped &&
           x->blocked == y->blocked && x->python == y->python && x->holds_gil == y->holds_gil &&
           x->status == y->status && x->end == y->end && same_stack(a, x->stack, b, y->stack);
}

/* The samples read are the first ones of want. Stack ids are compared by
 * content, except where both symtabs interned the same file the same way:
 * a fast path that is checked once per distinct stack id. */
static void
assert_prefix(const Symtab *want_st, const Sample *want, size_t nwant, const Symtab *got_st,
              const Sample *got, size_t ngot)
{
    if (ngot > nwant)
        FAIL("read %zu samples, wrote only %zu", ngot, nwant);
    assert_true(ngot <= nwant);
    size_t nstacks = Symtab_stack_count(got_st);
    StackId *seen = calloc(nstacks + 1, sizeof(StackId)); /* want id + 1 */
    for (size_t i = 0; i < ngot; i++) {
        StackId g = got[i].stack;
        bool stack_ok;
        if (g < nstacks && seen[g]) {
            stack_ok = seen[g] - 1 == want[i].stack;
        } else {
            stack_ok = g < nstacks && same_stack(want_st, want[i].stack, got_st, g);
            if (stack_ok)
                seen[g] = want[i].stack + 1;
        }
        Sample a = want[i], b = got[i];
        a.stack = b.stack = 0;
        a.stopped_ns = b.stopped_ns = 0;
        if (!stack_ok || !same_sample(want_st, &a, want_st, &b)) {
            free(seen);
            FAIL("sample %zu differs: t %llu/%llu tid %d/%d state %c/%c", i,
                 (unsigned long long)want[i].t_ns, (unsigned long long)got[i].t_ns,
                 (int)want[i].tid, (int)got[i].tid, want[i].state, got[i].state);
        }
    }
    free(seen);
}

/* ---- a small recording with everything in it ----------------------------- */

typedef struct Recording {
    Symtab *symtab;
    Sample *samples;
    size_t count;
    uint8_t *bytes;
    size_t size;
    size_t header_len;
} Recording;

/* Writes ticks × threads samples, flushing every flush_every ticks, with
 * thread names that change once, and returns the file's bytes. */
static void
make_recording(const char *path, unsigned threads, unsigned depth, unsigned ticks,
               unsigned flush_every, Recording *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->symtab = Symtab_new();
    Workload wl;
    workload_init(&wl, rec->symtab, threads, depth, 5);
    rec->samples = calloc((size_t)ticks * threads, sizeof(Sample));
    StackId empty = Symtab_intern_stack(rec->symtab, NULL, 0);
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, true, &test_header, &cause);
    if (!w)
        FAIL("RecWriter_open: %s", cause);
    assert_non_null(w);
    rec->header_len = (size_t)RecWriter_bytes(w);
    for (unsigned th = 0; th < threads; th++) {
        char name[32];
        snprintf(name, sizeof(name), "worker-%u", th);
        assert_int_equal(RecWriter_thread_name(w, 1000 + (pid_t)th, name, START_MONO), 0);
    }
    assert_int_equal(RecWriter_module(w, "/usr/bin/server", "0123456789abcdef"), 0);
    assert_int_equal(RecWriter_module(w, "/lib/x86_64-linux-gnu/libc.so.6", NULL), 0);
    for (unsigned tick = 0; tick < ticks; tick++) {
        Sample *s = &rec->samples[rec->count];
        workload_tick(&wl, s);
        /* Some variety in the fields a steady workload leaves alone. */
        if (tick % 7 == 3) {
            s[0].group_stopped = true;
            s[0].state = 'T';
            s[0].status = SAMPLE_NO_STACK;
            s[0].end = UNWIND_TRUNCATED;
        }
        if (tick % 11 == 5)
            s[0].end = UNWIND_DEPTH_CAP;
        if (tick % 5 == 1) {
            s[1].python = true;
            s[1].holds_gil = tick % 10 == 1;
        }
        /* A thread that did not stop in time: no time, no stack. */
        if (threads > 2 && tick % 13 == 4) {
            s[2].t_ns = 0;
            s[2].status = SAMPLE_LATE;
            s[2].stack = empty;
        }
        for (unsigned th = 0; th < threads; th++)
            assert_int_equal(RecWriter_add_sample(w, rec->symtab, &s[th]), 0);
        rec->count += threads;
        if (tick == ticks / 2)
            assert_int_equal(RecWriter_thread_name(w, 1000, "renamed", s[0].t_ns), 0);
        if ((tick + 1) % flush_every == 0)
            assert_int_equal(RecWriter_flush(w), 0);
    }
    assert_int_equal(RecWriter_samples(w), rec->count);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    workload_done(&wl);
    rec->bytes = slurp(path, &rec->size);
}

static void
recording_done(Recording *rec)
{
    Symtab_delete(rec->symtab);
    free(rec->samples);
    free(rec->bytes);
}

/* ---- varints ------------------------------------------------------------ */

static void
varint_round_trip(void **state)
{
    (void)state;
    static const uint64_t values[] = {0,          1,          127,        128,           255,
                                      300,        16383,      16384,      UINT32_MAX,    1ull << 35,
                                      1ull << 56, 1ull << 63, UINT64_MAX, UINT64_MAX - 1};
    RecBuf buf = {0};
    for (size_t i = 0; i < ARRAY_SIZE(values); i++)
        RecBuf_put_varint(&buf, values[i]);
    static const int64_t svalues[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX, -123456789};
    for (size_t i = 0; i < ARRAY_SIZE(svalues); i++)
        RecBuf_put_svarint(&buf, svalues[i]);
    RecCursor c = {buf.data, buf.data + buf.len, false};
    for (size_t i = 0; i < ARRAY_SIZE(values); i++)
        assert_true(RecCursor_varint(&c) == values[i]);
    for (size_t i = 0; i < ARRAY_SIZE(svalues); i++)
        assert_true(RecCursor_svarint(&c) == svalues[i]);
    assert_false(c.bad);
    assert_int_equal(RecCursor_left(&c), 0);
    /* Sizes: 7 bits a byte, 10 bytes for 64 bits. */
    buf.len = 0;
    RecBuf_put_varint(&buf, 127);
    assert_int_equal(buf.len, 1);
    buf.len = 0;
    RecBuf_put_varint(&buf, 128);
    assert_int_equal(buf.len, 2);
    buf.len = 0;
    RecBuf_put_varint(&buf, UINT64_MAX);
    assert_int_equal(buf.len, 10);
    RecBuf_done(&buf);
}

static void
varint_rejects_garbage(void **state)
{
    (void)state;
    /* Eleven continuation bytes; a tenth byte with more than one bit; a
     * varint cut short; then everything after a failure reads as 0. */
    uint8_t eleven[11];
    memset(eleven, 0x80, sizeof(eleven));
    RecCursor c = {eleven, eleven + sizeof(eleven), false};
    assert_true(RecCursor_varint(&c) == 0);
    assert_true(c.bad);
    uint8_t overflow[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    c = (RecCursor){overflow, overflow + 10, false};
    RecCursor_varint(&c);
    assert_true(c.bad);
    overflow[9] = 0x01;
    c = (RecCursor){overflow, overflow + 10, false};
    assert_true(RecCursor_varint(&c) == UINT64_MAX);
    assert_false(c.bad);
    uint8_t cut[2] = {0x80, 0x80};
    c = (RecCursor){cut, cut + 2, false};
    RecCursor_varint(&c);
    assert_true(c.bad);
    assert_int_equal(RecCursor_u8(&c), 0);
    assert_null(RecCursor_take(&c, 0));
    /* A length larger than what remains. */
    uint8_t lying[3] = {5, 'a', 'b'};
    c = (RecCursor){lying, lying + 3, false};
    size_t len;
    assert_null(RecCursor_bytes(&c, &len));
    assert_true(c.bad);
    assert_int_equal(len, 0);
}

/* ---- round trip ---------------------------------------------------------- */

static void
round_trip(void **state)
{
    Scratch *s = *state;
    Recording rec;
    make_recording(s->path, 6, 24, 300, 40, &rec);

    Symtab *st = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open(s->path, st, &cause);
    if (!r)
        FAIL("RecReader_open: %s", cause);
    assert_non_null(r);
    const RecStatus *status = RecReader_status(r);
    if (!status->complete)
        FAIL("not complete: %s", status->message);
    assert_true(status->complete);
    assert_int_equal(status->bytes_read, rec.size);
    assert_int_equal(status->bytes_total, rec.size);
    assert_non_null(strstr(status->message, "complete: 1800 samples"));

    const RecHeader *h = RecReader_header(r);
    assert_int_equal(h->pid, test_header.pid);
    assert_string_equal(h->command, test_header.command);
    assert_string_equal(h->exe, test_header.exe);
    assert_string_equal(h->host, test_header.host);
    assert_true(h->start_unix_ns == test_header.start_unix_ns);
    assert_true(h->start_mono_ns == test_header.start_mono_ns);
    assert_int_equal(h->rate_hz, test_header.rate_hz);
    assert_int_equal(h->time_unit_ns, 1); /* exact unless asked */

    size_t n;
    const Sample *got = RecReader_samples(r, &n);
    assert_int_equal(n, rec.count);
    assert_prefix(rec.symtab, rec.samples, rec.count, st, got, n);
    /* Every stack by content, not through the fast path. */
    for (size_t i = 0; i < n; i++)
        assert_true(same_sample(rec.symtab, &rec.samples[i], st, &got[i]));
    /* Exactly the stacks, frames and strings that samples use. */
    assert_int_equal(Symtab_stack_count(st), 6 * 5 + 1); /* and the empty one */

    size_t nthreads;
    const RecThread *threads = RecReader_threads(r, &nthreads);
    assert_int_equal(nthreads, 6);
    for (size_t i = 0; i < nthreads; i++) {
        assert_int_equal(threads[i].tid, 1000 + (pid_t)i);
        assert_int_equal(threads[i].samples, 300);
        char want[32];
        snprintf(want, sizeof(want), "worker-%zu", i);
        assert_string_equal(Symtab_string(st, threads[i].name), i == 0 ? "renamed" : want);
    }
    assert_true(threads[1].first_ns == rec.samples[1].t_ns);
    assert_true(threads[1].last_ns == rec.samples[rec.count - 5].t_ns);
    /* A name at a time: before the rename, after it, before any record. */
    uint64_t renamed_at = rec.samples[150 * 6].t_ns;
    assert_string_equal(Symtab_string(st, RecReader_thread_name_at(r, 1000, renamed_at - 1)),
                        "worker-0");
    assert_string_equal(Symtab_string(st, RecReader_thread_name_at(r, 1000, renamed_at)),
                        "renamed");
    assert_string_equal(Symtab_string(st, RecReader_thread_name_at(r, 1000, UINT64_MAX)),
                        "renamed");
    assert_string_equal(Symtab_string(st, RecReader_thread_name_at(r, 1002, 0)), "worker-2");
    assert_int_equal(RecReader_thread_name_at(r, 999, renamed_at), SYMTAB_EMPTY);
    assert_null(RecReader_thread(r, 999));
    assert_non_null(RecReader_thread(r, 1005));

    size_t nmodules;
    const RecModule *modules = RecReader_modules(r, &nmodules);
    assert_int_equal(nmodules, 2);
    assert_string_equal(Symtab_string(st, modules[0].path), "/usr/bin/server");
    assert_string_equal(Symtab_string(st, modules[0].build_id), "0123456789abcdef");
    assert_int_equal(modules[1].build_id, SYMTAB_EMPTY);

    RecReader_delete(r);
    Symtab_delete(st);
    recording_done(&rec);
}

/* Ids interned before reading (a view that already holds a symtab) are
 * remapped, and the same recording read twice gives the same ids. */
static void
reader_remaps_into_used_symtab(void **state)
{
    Scratch *s = *state;
    Recording rec;
    make_recording(s->path, 2, 8, 20, 5, &rec);
    Symtab *st = Symtab_new();
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof(name), "pre%d", i);
        Symtab_intern_cstr(st, name);
    }
    FrameId f = unit_frame(st, "pre", "pre.c", "pre.so", 1, FRAME_NATIVE);
    Symtab_intern_stack(st, &f, 1);
    char *cause = NULL;
    RecReader *a = RecReader_open_buffer(rec.bytes, rec.size, "a", st, &cause);
    assert_non_null(a);
    RecReader *b = RecReader_open_buffer(rec.bytes, rec.size, "b", st, &cause);
    assert_non_null(b);
    size_t na, nb;
    const Sample *sa = RecReader_samples(a, &na);
    const Sample *sb = RecReader_samples(b, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(sa[i].stack, sb[i].stack);
        assert_true(same_sample(rec.symtab, &rec.samples[i], st, &sa[i]));
    }
    RecReader_delete(a);
    RecReader_delete(b);
    Symtab_delete(st);
    recording_done(&rec);
}

/* An empty stack (a failed sample) and an empty recording. */
static void
empty_stack_and_empty_recording(void **state)
{
    Scratch *s = *state;
    Symtab *st = Symtab_new();
    StackId empty = Symtab_intern_stack(st, NULL, 0);
    char *cause = NULL;
    RecWriter *w = RecWriter_open(s->path, false, &test_header, &cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab *rst = Symtab_new();
    RecReader *r = RecReader_open(s->path, rst, &cause);
    assert_non_null(r);
    assert_true(RecReader_status(r)->complete);
    size_t n;
    RecReader_samples(r, &n);
    assert_int_equal(n, 0);
    RecReader_delete(r);
    unlink(s->path);

    w = RecWriter_open(s->path, false, &test_header, &cause);
    assert_non_null(w);
    Sample sample = {
        .t_ns = START_MONO + 5, .tid = 7, .state = 'R', .status = SAMPLE_FAILED, .stack = empty};
    assert_int_equal(RecWriter_add_sample(w, st, &sample), 0);
    Sample bad = sample;
    bad.stack = 12345;
    assert_int_equal(RecWriter_add_sample(w, st, &bad), -EINVAL);
    bad = sample;
    bad.tid = 0;
    assert_int_equal(RecWriter_add_sample(w, st, &bad), -EINVAL);
    /* A sample before the start (clock taken late) still round-trips. */
    Sample early = sample;
    early.t_ns = START_MONO - 1000;
    assert_int_equal(RecWriter_add_sample(w, st, &early), 0);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    r = RecReader_open(s->path, rst, &cause);
    assert_non_null(r);
    assert_true(RecReader_status(r)->complete);
    const Sample *got = RecReader_samples(r, &n);
    assert_int_equal(n, 2);
    assert_true(same_sample(st, &sample, rst, &got[0]));
    assert_true(same_sample(st, &early, rst, &got[1]));
    RecReader_delete(r);
    Symtab_delete(rst);
    Symtab_delete(st);
}

/* ---- size ---------------------------------------------------------------- */

/* 60 s at 100 Hz of 4 threads with 30-frame stacks, flushed every second
 * as the recorder does; *steady leaves out the first second (definitions). */
static double
workload_size(const char *path, uint32_t time_unit_ns, double *steady)
{
    Symtab *st = Symtab_new();
    Workload wl;
    workload_init(&wl, st, 4, 30, 8);
    RecHeader h = test_header;
    h.time_unit_ns = time_unit_ns;
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, true, &h, &cause);
    assert_non_null(w);
    Sample tick[4];
    uint64_t warm_bytes = 0, warm_samples = 0;
    for (unsigned second = 0; second < 60; second++) {
        for (unsigned i = 0; i < 100; i++) {
            workload_tick(&wl, tick);
            for (unsigned th = 0; th < 4; th++)
                assert_int_equal(RecWriter_add_sample(w, st, &tick[th]), 0);
        }
        assert_int_equal(RecWriter_flush(w), 0);
        if (second == 0) {
            warm_bytes = RecWriter_bytes(w);
            warm_samples = RecWriter_samples(w);
        }
    }
    uint64_t samples = RecWriter_samples(w);
    uint64_t bytes_before_end = RecWriter_bytes(w);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    *steady = (double)(bytes_before_end - warm_bytes) / (double)(samples - warm_samples);
    double overall = (double)sb.st_size / (double)samples;
    diag("time unit %u ns: %llu samples, %lld bytes: %.2f bytes/sample overall, %.2f steady "
         "(after the first second)",
         time_unit_ns ? time_unit_ns : 1, (unsigned long long)samples, (long long)sb.st_size,
         overall, *steady);
    workload_done(&wl);
    Symtab_delete(st);
    return overall;
}

/* The steady state must stay within 4 bytes a sample with exact times (a
 * size, not a time, so it can be asserted); microseconds save more. */
static void
bytes_per_sample(void **state)
{
    Scratch *s = *state;
    double steady, overall = workload_size(s->path, 0, &steady);
    if (steady > 4.0)
        FAIL("steady state %.2f bytes/sample > 4", steady);
    assert_true(steady <= 4.0);
    assert_true(overall <= 4.0);
    double steady_us, overall_us = workload_size(s->path, 1000, &steady_us);
    assert_true(steady_us <= steady - 1.0);
    assert_true(overall_us <= overall - 1.0);
}

/* Every size of time difference, exactly: 0, 1 and 2 ns, both signs, up
 * to the extremes the format can hold. */
static void
time_differences_exact(void **state)
{
    Scratch *s = *state;
    Symtab *st = Symtab_new();
    FrameId f = unit_frame(st, "f", "f.c", "m", 1, FRAME_NATIVE);
    StackId stack = Symtab_intern_stack(st, &f, 1);
    RecHeader h = test_header;
    h.start_mono_ns = 1ull << 62;
    char *cause = NULL;
    RecWriter *w = RecWriter_open(s->path, false, &h, &cause);
    assert_non_null(w);
    uint64_t times[200];
    size_t n = 0;
    const int64_t steps[] = {0, 1, 1, 2, 3, 0, -1, -2, -3, 7, 255, 256, -4096, 1 << 20};
    uint64_t t = h.start_mono_ns;
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
        times[n++] = t = t + (uint64_t)steps[i];
    for (unsigned b = 0; b < 62; b++) /* every bit length, up and back down */
        times[n++] = h.start_mono_ns + (1ull << b) + b;
    times[n++] = 1;                /* far before the start */
    times[n++] = (1ull << 63) - 1; /* far after it */
    times[n++] = h.start_mono_ns;
    for (size_t i = 0; i < n; i++) {
        Sample x = {.t_ns = times[i], .tid = 9, .state = 'R', .stack = stack};
        assert_int_equal(RecWriter_add_sample(w, st, &x), 0);
        if (i == 40)
            assert_int_equal(RecWriter_flush(w), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab *rst = Symtab_new();
    RecReader *r = RecReader_open(s->path, rst, &cause);
    assert_non_null(r);
    assert_true(RecReader_status(r)->complete);
    size_t got_n;
    const Sample *got = RecReader_samples(r, &got_n);
    assert_int_equal(got_n, n);
    for (size_t i = 0; i < n; i++)
        if (got[i].t_ns != times[i])
            FAIL("sample %zu: read %llu, wrote %llu", i, (unsigned long long)got[i].t_ns,
                 (unsigned long long)times[i]);
    RecReader_delete(r);
    Symtab_delete(rst);
    Symtab_delete(st);
}

/* Times kept to a unit: rounded down after the start, before it too. */
static void
time_unit_rounds_down(void **state)
{
    Scratch *s = *state;
    Symtab *st = Symtab_new();
    FrameId f = unit_frame(st, "f", "f.c", "m", 1, FRAME_NATIVE);
    StackId stack = Symtab_intern_stack(st, &f, 1);
    RecHeader h = test_header;
    h.time_unit_ns = 1000;
    char *cause = NULL;
    RecWriter *w = RecWriter_open(s->path, false, &h, &cause);
    assert_non_null(w);
    const int64_t offsets[] = {0, 999, 1000, 123456789, -1, -1000, -1001, 5};
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        Sample x = {
            .t_ns = START_MONO + (uint64_t)offsets[i], .tid = 9, .state = 'R', .stack = stack};
        assert_int_equal(RecWriter_add_sample(w, st, &x), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab *rst = Symtab_new();
    RecReader *r = RecReader_open(s->path, rst, &cause);
    assert_non_null(r);
    assert_int_equal(RecReader_header(r)->time_unit_ns, 1000);
    size_t n;
    const Sample *got = RecReader_samples(r, &n);
    assert_int_equal(n, ARRAY_SIZE(offsets));
    const int64_t want[] = {0, 0, 1000, 123456000, -1000, -1000, -2000, 0};
    for (size_t i = 0; i < n; i++)
        if (got[i].t_ns != START_MONO + (uint64_t)want[i])
            FAIL("offset %lld: read %lld, want %lld", (long long)offsets[i],
                 (long long)(got[i].t_ns - START_MONO), (long long)want[i]);
    RecReader_delete(r);
    Symtab_delete(rst);
    Symtab_delete(st);
}

/* ---- damage -------------------------------------------------------------- */

static void
check_damaged(const Recording *rec, const uint8_t *data, size_t size, bool header_intact,
              const char *what)
{
    Symtab *st = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open_buffer(data, size, "damaged.spytop", st, &cause);
    if (!header_intact) {
        if (r)
            FAIL("%s: opened with a damaged header", what);
        assert_null(r);
        assert_non_null(cause);
        assert_non_null(strstr(cause, "damaged.spytop"));
        free(cause);
        Symtab_delete(st);
        return;
    }
    if (!r)
        FAIL("%s: refused: %s", what, cause);
    assert_non_null(r);
    const RecStatus *status = RecReader_status(r);
    assert_true(status->bytes_read <= size);
    assert_true(status->bytes_total == size);
    assert_non_null(status->message);
    size_t n;
    const Sample *got = RecReader_samples(r, &n);
    assert_prefix(rec->symtab, rec->samples, rec->count, st, got, n);
    for (size_t i = 0; i < n; i++)
        assert_true(got[i].stack < Symtab_stack_count(st));
    if (status->complete) {
        assert_int_equal(n, rec->count);
    } else {
        assert_true(strstr(status->message, "truncated at byte") ||
                    strstr(status->message, "no end record after byte"));
        assert_non_null(strstr(status->message, "recovered"));
    }
    RecReader_delete(r);
    Symtab_delete(st);
}

/* Cut at every byte: before the header's end nothing opens; after it a
 * prefix of the samples, complete only for the whole file. */
static void
truncated_at_every_offset(void **state)
{
    Scratch *s = *state;
    Recording rec;
    make_recording(s->path, 3, 12, 60, 10, &rec);
    diag("recording of %zu samples, %zu bytes", rec.count, rec.size);
    size_t last_n = 0;
    for (size_t len = 0; len <= rec.size; len++) {
        bool header = len >= rec.header_len;
        check_damaged(&rec, rec.bytes, len, header, "truncated");
        if (!header)
            continue;
        Symtab *st = Symtab_new();
        RecReader *r = RecReader_open_buffer(rec.bytes, len, "cut", st, NULL);
        size_t n;
        RecReader_samples(r, &n);
        assert_true(n >= last_n); /* more file, never fewer samples */
        last_n = n;
        assert_true(RecReader_status(r)->complete == (len == rec.size));
        RecReader_delete(r);
        Symtab_delete(st);
    }
    assert_int_equal(last_n, rec.count);
    /* The same through a file, once: a cut in the middle. */
    assert_int_equal(truncate(s->path, (off_t)(rec.size / 2)), 0);
    Symtab *st = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open(s->path, st, &cause);
    assert_non_null(r);
    assert_false(RecReader_status(r)->complete);
    diag("cut in half: %s", RecReader_status(r)->message);
    RecReader_delete(r);
    Symtab_delete(st);
    recording_done(&rec);
}

/* Flip each byte (all bits, then one bit): the header's checksum or a
 * chunk's catches it. */
static void
flipped_bytes(void **state)
{
    Scratch *s = *state;
    Recording rec;
    make_recording(s->path, 3, 12, 60, 10, &rec);
    uint8_t *copy = malloc(rec.size);
    uint64_t rng = 12345;
    for (size_t off = 0; off < rec.size; off++) {
        for (int pass = 0; pass < 2; pass++) {
            memcpy(copy, rec.bytes, rec.size);
            copy[off] ^= pass == 0 ? 0xff : (uint8_t)(1u << (next_random(&rng) % 8));
            check_damaged(&rec, copy, rec.size, off >= rec.header_len, "flipped");
            if (off < rec.header_len)
                continue;
            Symtab *st = Symtab_new();
            RecReader *r = RecReader_open_buffer(copy, rec.size, "flip", st, NULL);
            if (RecReader_status(r)->complete)
                FAIL("a flip at byte %zu went unnoticed", off);
            RecReader_delete(r);
            Symtab_delete(st);
        }
    }
    free(copy);
    recording_done(&rec);
}

/* A chunk with a valid checksum around any payload. */
static void
put_chunk(RecBuf *out, uint8_t type, const uint8_t *raw, size_t raw_len)
{
    uLongf zlen = compressBound((uLong)raw_len);
    uint8_t *z = malloc(zlen);
    assert_int_equal(compress2(z, &zlen, raw_len ? raw : (const Bytef *)"", (uLong)raw_len, 6),
                     Z_OK);
    uint8_t head[13];
    head[0] = type;
    for (int i = 0; i < 4; i++) {
        head[1 + i] = (uint8_t)(zlen >> (8 * i));
        head[5 + i] = (uint8_t)(raw_len >> (8 * i));
    }
    uLong crc = crc32(crc32(0L, head, 9), z, (uInt)zlen);
    for (int i = 0; i < 4; i++)
        head[9 + i] = (uint8_t)(crc >> (8 * i));
    RecBuf_put(out, head, 13);
    RecBuf_put(out, z, zlen);
    free(z);
}

/* Splits a recording into its chunks' raw payloads. */
typedef struct RawChunk {
    uint8_t type;
    uint8_t *raw;
    size_t len;
} RawChunk;

static size_t
split_chunks(const Recording *rec, RawChunk *chunks, size_t max)
{
    size_t n = 0, off = rec->header_len;
    while (off + 13 <= rec->size && n < max) {
        const uint8_t *h = rec->bytes + off;
        uint32_t zlen = h[1] | h[2] << 8 | h[3] << 16 | (uint32_t)h[4] << 24;
        uint32_t rlen = h[5] | h[6] << 8 | h[7] << 16 | (uint32_t)h[8] << 24;
        chunks[n].type = h[0];
        chunks[n].raw = malloc(rlen + 1);
        uLongf got = rlen;
        assert_int_equal(uncompress(chunks[n].raw, &got, h + 13, zlen), Z_OK);
        chunks[n].len = got;
        n++;
        off += 13 + zlen;
    }
    return n;
}

/* Payloads mutated behind valid checksums reach the parsers: whatever they
 * hold, the reader keeps its bounds (ASan/UBSan watch) and every sample it
 * hands out refers to a stack the symtab has. */
static void
forged_chunks(void **state)
{
    Scratch *s = *state;
    Recording rec;
    make_recording(s->path, 3, 12, 30, 10, &rec);
    RawChunk chunks[64];
    size_t nchunks = split_chunks(&rec, chunks, 64);
    assert_true(nchunks >= 6);
    uint64_t rng = 777;
    RecBuf file = {0};
    /* SPYTOP_FUZZ_ROUNDS=N runs longer, by hand. */
    const char *env = getenv("SPYTOP_FUZZ_ROUNDS");
    unsigned rounds = env && atoi(env) > 0 ? (unsigned)atoi(env) : 3000;
    if (env && getenv("SPYTOP_FUZZ_SEED"))
        rng = strtoull(getenv("SPYTOP_FUZZ_SEED"), NULL, 10) | 1;
    for (unsigned round = 0; round < rounds; round++) {
        file.len = 0;
        RecBuf_put(&file, rec.bytes, rec.header_len);
        size_t victim = next_random(&rng) % nchunks;
        for (size_t i = 0; i < nchunks; i++) {
            if (i != victim) {
                put_chunk(&file, chunks[i].type, chunks[i].raw, chunks[i].len);
                continue;
            }
            uint8_t *raw = malloc(chunks[i].len + 64);
            size_t len = chunks[i].len;
            memcpy(raw, chunks[i].raw, len);
            unsigned how = (unsigned)(next_random(&rng) % 5);
            if (how == 0 && len) { /* flip some bytes */
                for (int k = 0; k < 3; k++)
                    raw[next_random(&rng) % len] ^= (uint8_t)next_random(&rng);
            } else if (how == 1 && len) { /* cut */
                len = next_random(&rng) % len;
            } else if (how == 2) { /* random garbage */
                len = next_random(&rng) % 64;
                for (size_t k = 0; k < len; k++)
                    raw[k] = (uint8_t)next_random(&rng);
            } else if (how == 3 && len) { /* huge counts and ids */
                size_t at = next_random(&rng) % len;
                size_t k = 0;
                for (; k < 9 && at + k < len; k++)
                    raw[at + k] = 0xff;
                if (at + k < len)
                    raw[at + k] = 0x7f;
            } else { /* appended bytes */
                for (size_t k = 0; k < 16; k++)
                    raw[len++] = (uint8_t)next_random(&rng);
            }
            uint8_t type =
                next_random(&rng) % 8 == 0 ? (uint8_t)(1 + next_random(&rng) % 8) : chunks[i].type;
            put_chunk(&file, type, raw, len);
            free(raw);
        }
        Symtab *st = Symtab_new();
        char *cause = NULL;
        RecReader *r = RecReader_open_buffer(file.data, file.len, "forged", st, &cause);
        assert_non_null(r);
        size_t n;
        const Sample *got = RecReader_samples(r, &n);
        for (size_t i = 0; i < n; i++) {
            assert_true(got[i].stack < Symtab_stack_count(st));
            assert_true(got[i].status <= SAMPLE_FAILED);
            assert_true(got[i].tid > 0);
        }
        size_t nthreads;
        RecReader_threads(r, &nthreads);
        assert_true(RecReader_status(r)->bytes_read <= file.len);
        RecReader_delete(r);
        Symtab_delete(st);
    }
    RecBuf_done(&file);
    for (size_t i = 0; i < nchunks; i++)
        free(chunks[i].raw);
    recording_done(&rec);
}

/* A chunk type from a later version is skipped; a later format version
 * is refused by name; a file that is no recording is called so. */
static void
unknown_chunks_and_versions(void **state)
{
    Scratch *s = *state;
    Recording rec;
    make_recording(s->path, 2, 6, 20, 5, &rec);
    RawChunk chunks[64];
    size_t nchunks = split_chunks(&rec, chunks, 64);
    RecBuf file = {0};
    RecBuf_put(&file, rec.bytes, rec.header_len);
    for (size_t i = 0; i < nchunks; i++) {
        if (i == 2)
            put_chunk(&file, 200, (const uint8_t *)"future", 6);
        put_chunk(&file, chunks[i].type, chunks[i].raw, chunks[i].len);
    }
    Symtab *st = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open_buffer(file.data, file.len, "future", st, &cause);
    assert_non_null(r);
    assert_true(RecReader_status(r)->complete);
    size_t n;
    RecReader_samples(r, &n);
    assert_int_equal(n, rec.count);
    RecReader_delete(r);

    /* Version 7. */
    file.data[8] = 7;
    r = RecReader_open_buffer(file.data, file.len, "v7.spytop", st, &cause);
    assert_null(r);
    diag("%s", cause);
    assert_non_null(strstr(cause, "version 7 is newer than this spytop reads"));
    free(cause);
    /* Not a recording at all, or empty. */
    r = RecReader_open_buffer("#!/bin/sh\necho hi\n", 18, "script.sh", st, &cause);
    assert_null(r);
    assert_non_null(strstr(cause, "script.sh: not a spytop recording"));
    free(cause);
    r = RecReader_open_buffer(NULL, 0, "empty", st, &cause);
    assert_null(r);
    free(cause);
    RecBuf_done(&file);
    for (size_t i = 0; i < nchunks; i++)
        free(chunks[i].raw);
    Symtab_delete(st);
    recording_done(&rec);
}

/* A recorder killed after a flush: every flushed sample is there, the
 * status says the end is missing. */
static void
killed_recorder_keeps_flushed(void **state)
{
    Scratch *s = *state;
    Symtab *st = Symtab_new();
    Workload wl;
    workload_init(&wl, st, 2, 10, 3);
    char *cause = NULL;
    RecWriter *w = RecWriter_open(s->path, false, &test_header, &cause);
    assert_non_null(w);
    Sample tick[2];
    for (int i = 0; i < 50; i++) {
        workload_tick(&wl, tick);
        assert_int_equal(RecWriter_add_sample(w, st, &tick[0]), 0);
        assert_int_equal(RecWriter_add_sample(w, st, &tick[1]), 0);
        if (i == 29)
            assert_int_equal(RecWriter_flush(w), 0);
    }
    /* What a SIGKILL leaves: the file as it is now. */
    size_t size;
    uint8_t *bytes = slurp(s->path, &size);
    assert_int_equal(size, RecWriter_bytes(w));
    Symtab *rst = Symtab_new();
    RecReader *r = RecReader_open_buffer(bytes, size, "killed", rst, &cause);
    assert_non_null(r);
    size_t n;
    RecReader_samples(r, &n);
    assert_int_equal(n, 60);
    assert_false(RecReader_status(r)->complete);
    diag("%s", RecReader_status(r)->message);
    assert_non_null(strstr(RecReader_status(r)->message, "no end record"));
    assert_non_null(strstr(RecReader_status(r)->message, "recovered 60 samples"));
    RecReader_delete(r);
    free(bytes);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    workload_done(&wl);
    Symtab_delete(rst);
    Symtab_delete(st);
}

/* A recording written by an earlier format version's writer, committed
 * in tests/data: whatever the writer becomes, the reader must go on
 * reading it, its samples all the header's process's.
 * SPYTOP_UPDATE_FIXTURE=1 rewrites it (with the writer of that version). */
static void
reads_committed_file(void **state, unsigned version)
{
    Scratch *s = *state;
    const char *srcdir = getenv("TESTS_SRCDIR");
    if (!srcdir || !*srcdir) {
        diag("TESTS_SRCDIR is not set (run through make check)");
        skip();
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/data/recording-v%u.spytop", srcdir, version);
    Recording rec;
    make_recording(s->path, 3, 12, 60, 10, &rec);
    if (getenv("SPYTOP_UPDATE_FIXTURE") && version == REC_VERSION) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(rec.bytes, 1, rec.size, f), rec.size);
        assert_int_equal(fclose(f), 0);
    }
    Symtab *st = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open(path, st, &cause);
    if (!r)
        FAIL("%s", cause);
    assert_non_null(r);
    if (!RecReader_status(r)->complete)
        FAIL("%s", RecReader_status(r)->message);
    assert_true(RecReader_status(r)->complete);
    const RecHeader *h = RecReader_header(r);
    assert_int_equal(h->version, version);
    assert_string_equal(h->command, test_header.command);
    assert_true(h->start_unix_ns == test_header.start_unix_ns);
    size_t n;
    const Sample *got = RecReader_samples(r, &n);
    assert_int_equal(n, rec.count);
    for (size_t i = 0; i < n; i++) {
        assert_true(same_sample(rec.symtab, &rec.samples[i], st, &got[i]));
        assert_int_equal(got[i].pid, test_header.pid);
    }
    assert_string_equal(Symtab_string(st, RecReader_thread(r, 1000)->name), "renamed");
    assert_string_equal(Symtab_string(st, RecReader_thread(r, 1002)->name), "worker-2");
    assert_int_equal(RecReader_thread(r, 1002)->pid, test_header.pid);
    /* One process: the header's, with its command line. */
    size_t np;
    const RecProcess *p = RecReader_processes(r, &np);
    assert_int_equal(np, 1);
    assert_int_equal(p[0].pid, test_header.pid);
    assert_string_equal(Symtab_string(st, p[0].command), test_header.command);
    assert_int_equal(p[0].samples, n);
    assert_int_equal(p[0].threads, 3);
    assert_int_equal(p[0].gone_ns, 0);
    assert_ptr_equal(RecReader_process(r, test_header.pid), &p[0]);
    assert_null(RecReader_process(r, test_header.pid + 1));
    RecReader_delete(r);
    Symtab_delete(st);
    recording_done(&rec);
}

static void
reads_committed_v1_file(void **state)
{
    reads_committed_file(state, 1);
}

static void
reads_committed_v2_file(void **state)
{
    reads_committed_file(state, 2);
}

/* ---- several processes ----------------------------------------------------- */

/* Three processes: the header's, a child followed later whose command
 * line is hostile (a ';', a newline, bytes that are not UTF-8) and that
 * is let go before the end, and one never announced that reuses a tid of
 * the first within a chunk. Samples, threads and processes come back
 * apart, across chunks and in every chunk. */
static void
processes_round_trip(void **state)
{
    Scratch *s = *state;
    Symtab *st = Symtab_new();
    FrameId fa = unit_frame(st, "serve", "a.c", "/usr/bin/server", 1, FRAME_NATIVE);
    FrameId fb = unit_frame(st, "work", "b.py", "", 2, FRAME_PYTHON);
    StackId sa = Symtab_intern_stack(st, &fa, 1);
    StackId sb = Symtab_intern_stack(st, &fb, 1);
    static const char child_cmd[] = "python3 -c 'x; y'\nworker \xff\xfe end";
    char *cause = NULL;
    RecWriter *w = RecWriter_open(s->path, false, &test_header, &cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_process(w, test_header.pid, test_header.command, START_MONO), 0);
    assert_int_equal(RecWriter_process(w, 0, "x", START_MONO), -EINVAL);
    enum { TICKS = 300 };
    Sample *want = calloc(TICKS * 5, sizeof(Sample));
    size_t count = 0;
    uint64_t t = START_MONO + 1000;
    uint64_t child_from = 0, child_gone = 0;
    for (unsigned tick = 0; tick < TICKS; tick++) {
        t += 10000000;
        if (tick == 20) {
            child_from = t;
            assert_int_equal(RecWriter_process(w, 5000, child_cmd, t), 0);
        }
        bool child = tick >= 20 && tick < 250;
        bool stray = tick % 3 == 0;
        Sample row[5] = {
            {.t_ns = t + 1, .pid = test_header.pid, .tid = 4242, .state = 'R', .stack = sa},
            {.t_ns = t + 2, .pid = 0, .tid = 4243, .state = 'S', .stack = sa}, /* the header's */
            {.t_ns = t + 3, .pid = 5000, .tid = 5000, .state = 'R', .stack = sb},
            {.t_ns = t + 4, .pid = 5000, .tid = 5001, .state = 'R', .stack = sa},
            {.t_ns = t + 5, .pid = 6000, .tid = 4243, .state = 'R', .stack = sb}, /* tid reused */
        };
        for (unsigned k = 0; k < 5; k++) {
            if ((k == 2 || k == 3) && !child)
                continue;
            if (k == 4 && !stray)
                continue;
            row[k].status = SAMPLE_OK;
            want[count++] = row[k];
            assert_int_equal(RecWriter_add_sample(w, st, &row[k]), 0);
        }
        if (tick == 249) {
            child_gone = t + 100;
            assert_int_equal(RecWriter_process_gone(w, 5000, child_gone), 0);
        }
        if (tick % 70 == 69)
            assert_int_equal(RecWriter_flush(w), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);

    Symtab *rst = Symtab_new();
    RecReader *r = RecReader_open(s->path, rst, &cause);
    if (!r)
        FAIL("%s", cause);
    assert_non_null(r);
    if (!RecReader_status(r)->complete)
        FAIL("%s", RecReader_status(r)->message);
    assert_int_equal(RecReader_header(r)->version, REC_VERSION);
    size_t n;
    const Sample *got = RecReader_samples(r, &n);
    assert_int_equal(n, count);
    for (size_t i = 0; i < n; i++) {
        if (!same_sample(st, &want[i], rst, &got[i]))
            FAIL("sample %zu: pid %d/%d tid %d/%d", i, (int)pid_of(&want[i]), (int)got[i].pid,
                 (int)want[i].tid, (int)got[i].tid);
        assert_int_equal(got[i].pid, pid_of(&want[i]));
    }
    size_t np;
    const RecProcess *p = RecReader_processes(r, &np);
    assert_int_equal(np, 3);
    assert_int_equal(p[0].pid, 4242);
    assert_int_equal(p[1].pid, 5000);
    assert_int_equal(p[2].pid, 6000);
    assert_string_equal(Symtab_string(rst, p[0].command), test_header.command);
    assert_string_equal(Symtab_string(rst, p[1].command), child_cmd);
    assert_int_equal(p[2].command, SYMTAB_EMPTY); /* never announced */
    assert_int_equal(p[0].samples, 2 * TICKS);
    assert_int_equal(p[1].samples, 2 * 230);
    assert_int_equal(p[2].samples, TICKS / 3);
    assert_int_equal(p[0].threads, 2);
    assert_int_equal(p[1].threads, 2);
    assert_int_equal(p[2].threads, 1);
    assert_int_equal(p[0].gone_ns, 0);
    assert_true(p[1].gone_ns == child_gone);
    assert_int_equal(p[2].gone_ns, 0);
    assert_true(p[0].first_ns == START_MONO);
    assert_true(p[1].first_ns == child_from);
    assert_true(p[1].last_ns == child_gone);
    assert_true(p[2].first_ns == START_MONO + 1000 + 10000000 + 5);
    /* tid 4243 is two threads; the thread list keeps one entry per tid. */
    assert_int_equal(RecReader_thread(r, 5001)->pid, 5000);
    assert_non_null(RecReader_thread(r, 4243));
    assert_ptr_equal(RecReader_process(r, 5000), &p[1]);
    assert_null(RecReader_process(r, 4243));
    RecReader_delete(r);

    /* Cut anywhere: what is read still holds together. */
    size_t size;
    uint8_t *bytes = slurp(s->path, &size);
    for (size_t cut = 0; cut < size; cut += 7) {
        RecReader *c = RecReader_open_buffer(bytes, cut, "cut", rst, &cause);
        if (!c) {
            free(cause);
            cause = NULL;
            continue;
        }
        const Sample *cs = RecReader_samples(c, &n);
        size_t ncp;
        RecReader_processes(c, &ncp);
        assert_true(ncp >= 1 && ncp <= 3);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(cs[i].pid, pid_of(&want[i]));
            assert_non_null(RecReader_process(c, cs[i].pid));
        }
        RecReader_delete(c);
    }
    free(bytes);
    free(want);
    Symtab_delete(rst);
    Symtab_delete(st);
}

/* ---- the output file's rules --------------------------------------------- */

static void
open_refuses_existing_file(void **state)
{
    Scratch *s = *state;
    FILE *f = fopen(s->path, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    char *cause = NULL;
    RecWriter *w = RecWriter_open(s->path, false, &test_header, &cause);
    assert_null(w);
    diag("%s", cause);
    assert_non_null(strstr(cause, s->path));
    assert_non_null(strstr(cause, "exists"));
    free(cause);
    size_t size;
    uint8_t *data = slurp(s->path, &size);
    assert_int_equal(size, 8); /* untouched */
    free(data);
    /* --force overwrites a regular file, with mode 0600 kept from creation. */
    w = RecWriter_open(s->path, true, &test_header, &cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    data = slurp(s->path, &size);
    assert_memory_equal(data, REC_MAGIC, REC_MAGIC_LEN);
    free(data);
    /* A new file is 0600. */
    unlink(s->path);
    w = RecWriter_open(s->path, false, &test_header, &cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    struct stat sb;
    assert_int_equal(stat(s->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void
open_refuses_symlink(void **state)
{
    Scratch *s = *state;
    char target[600], link[600];
    snprintf(target, sizeof(target), "%s/target", s->dir);
    snprintf(link, sizeof(link), "%s/link.spytop", s->dir);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    for (int force = 0; force < 2; force++) {
        char *cause = NULL;
        RecWriter *w = RecWriter_open(link, force, &test_header, &cause);
        assert_null(w);
        diag("force=%d: %s", force, cause);
        assert_non_null(strstr(cause, link));
        free(cause);
    }
    /* A dangling link is not followed to create its target either. */
    char dangling[600], nowhere[600];
    snprintf(dangling, sizeof(dangling), "%s/dangling.spytop", s->dir);
    snprintf(nowhere, sizeof(nowhere), "%s/nowhere", s->dir);
    assert_int_equal(symlink(nowhere, dangling), 0);
    char *cause = NULL;
    assert_null(RecWriter_open(dangling, true, &test_header, &cause));
    free(cause);
    assert_int_equal(access(nowhere, F_OK), -1);
    size_t size;
    uint8_t *data = slurp(target, &size);
    assert_memory_equal(data, "precious", 8);
    free(data);
}

/* A FIFO: neither the writer (even with force) nor the reader hangs on it
 * or takes it. */
static void
fifo_refused(void **state)
{
    Scratch *s = *state;
    char fifo[600];
    snprintf(fifo, sizeof(fifo), "%s/fifo", s->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *cause = NULL;
    assert_null(RecWriter_open(fifo, true, &test_header, &cause));
    diag("%s", cause);
    free(cause);
    Symtab *st = Symtab_new();
    assert_null(RecReader_open(fifo, st, &cause));
    diag("%s", cause);
    assert_non_null(strstr(cause, "not a regular file"));
    free(cause);
    /* A device is not a regular file either; /dev/null alone is taken. */
    assert_null(RecWriter_open("/dev/zero", true, &test_header, &cause));
    assert_non_null(strstr(cause, "not a regular file"));
    free(cause);
    RecWriter *w = RecWriter_open("/dev/null", false, &test_header, &cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab_delete(st);
}

/* ENOSPC through a descriptor on /dev/full (O_EXCL cannot open it): the
 * header write fails, the error names the file. */
static void
write_error_dev_full(void **state)
{
    (void)state;
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        diag("no /dev/full here");
        skip();
    }
    char *cause = NULL;
    RecWriter *w = RecWriter_open_fd(fd, "/dev/full", &test_header, &cause);
    assert_null(w);
    diag("%s", cause);
    assert_non_null(strstr(cause, "/dev/full"));
    assert_non_null(strstr(cause, strerror(ENOSPC)));
    free(cause);
}

/* A write error in the middle of a recording (RLIMIT_FSIZE in a child:
 * writes past the limit fail with EFBIG, as ENOSPC would on a full disk):
 * the error comes back as -errno naming the file, stays, and the file
 * ends at its last whole chunk. */
static void
write_error_mid_recording(void **state)
{
    Scratch *s = *state;
    fflush(stdout);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {.rlim_cur = 6000, .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(10);
        Symtab *st = Symtab_new();
        Workload wl;
        workload_init(&wl, st, 4, 30, 40);
        char *cause = NULL;
        RecWriter *w = RecWriter_open(s->path, false, &test_header, &cause);
        if (!w)
            _exit(11);
        Sample tick[4];
        int err = 0;
        for (int i = 0; i < 100000 && !err; i++) {
            workload_tick(&wl, tick);
            for (int th = 0; th < 4 && !err; th++)
                err = RecWriter_add_sample(w, st, &tick[th]);
            if (!err && i % 10 == 9)
                err = RecWriter_flush(w);
        }
        if (err != -EFBIG)
            _exit(12);
        if (!RecWriter_error(w) || !strstr(RecWriter_error(w), s->path))
            _exit(13);
        /* Sticky. */
        if (RecWriter_flush(w) != -EFBIG || RecWriter_add_sample(w, st, &tick[0]) != -EFBIG)
            _exit(14);
        if (RecWriter_close(w, &cause) != -EFBIG || !cause || !strstr(cause, s->path))
            _exit(15);
        printf("# child: %s\n", cause);
        fflush(stdout);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAIL("child failed: status 0x%x", status);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct stat sb;
    assert_int_equal(stat(s->path, &sb), 0);
    assert_true(sb.st_size <= 6000);
    Symtab *st = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open(s->path, st, &cause);
    assert_non_null(r);
    const RecStatus *rs = RecReader_status(r);
    diag("after the error: %s", rs->message);
    assert_false(rs->complete);
    /* Whole chunks only: the reader read every byte there is. */
    assert_int_equal(rs->bytes_read, (uint64_t)sb.st_size);
    assert_non_null(strstr(rs->message, "no end record"));
    size_t n;
    RecReader_samples(r, &n);
    assert_true(n > 0);
    RecReader_delete(r);
    Symtab_delete(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varint_round_trip),
        cmocka_unit_test(varint_rejects_garbage),
        cmocka_unit_test_setup_teardown(round_trip, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(reader_remaps_into_used_symtab, setup_scratch,
                                        teardown_scratch),
        cmocka_unit_test_setup_teardown(empty_stack_and_empty_recording, setup_scratch,
                                        teardown_scratch),
        cmocka_unit_test_setup_teardown(bytes_per_sample, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(time_differences_exact, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(time_unit_rounds_down, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(truncated_at_every_offset, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(flipped_bytes, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(forged_chunks, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(unknown_chunks_and_versions, setup_scratch,
                                        teardown_scratch),
        cmocka_unit_test_setup_teardown(killed_recorder_keeps_flushed, setup_scratch,
                                        teardown_scratch),
        cmocka_unit_test_setup_teardown(reads_committed_v1_file, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(reads_committed_v2_file, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(processes_round_trip, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(open_refuses_existing_file, setup_scratch,
                                        teardown_scratch),
        cmocka_unit_test_setup_teardown(open_refuses_symlink, setup_scratch, teardown_scratch),
        cmocka_unit_test_setup_teardown(fifo_refused, setup_scratch, teardown_scratch),
        cmocka_unit_test(write_error_dev_full),
        cmocka_unit_test_setup_teardown(write_error_mid_recording, setup_scratch, teardown_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
