/* Unit tests for src/report*.c: every format from a synthetic recording
 * of known shape. Folded lines and counts exactly; speedscope's JSON is
 * valid (a small checker here) with the expected frames and weights;
 * pprof's gzip'd protobuf is decoded here and checked sample by sample;
 * the SVG escapes what it must. Write errors come back as -errno.
 *
 * With SPYTOP_REPORT_OUT set to a directory, the reports are also written
 * there, for tests/func/report_consumers.sh to feed to the real readers
 * (go tool pprof, python's json and xml parsers). */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "unit.h"

#include "exit_codes.h"
#include "export.h"
#include "recbuf.h"
#include "record_direct.h"
#include "recreader.h"
#include "recwriter.h"
#include "report.h"
#include "report_common.h"
#include "report_speedscope.h"
#include "symtab.h"
#include "util.h"

/* ---- the recording ------------------------------------------------------
 *
 * 100 ticks at exactly 100 Hz, the first 10 ms after the start (thread 101
 * 50 us after thread 100). Thread 100 "main": stack A for ticks 0-59,
 * B (an inlined leaf) for 60-89, D (sleeping in epoll_wait) for 90-99.
 * Thread 101 "worker": C for 0-49 and 60-99, E (a hostile name) for 50-54,
 * F (an unknown function in libfoo) for 55-59. */

#define START_MONO 1000000000000ull
#define TICK_NS 10000000ull

static const char weird_name[] = "weird;name\n<&>\"' \xff end]]></script>";

typedef struct Fixture {
    char dir[256];
    char path[512];
    Symtab *symtab;
    RecReader *reader;
} Fixture;

static void
write_recording(const char *path)
{
    Symtab *st = Symtab_new();
    const char *app = "/usr/bin/app", *libc = "/lib/x86_64-linux-gnu/libc.so.6";
    FrameId main_fn = unit_frame(st, "main_fn", "/src/app/main.c", app, 10, FRAME_NATIVE);
    FrameId mid = unit_frame(st, "mid", "/src/app/main.c", app, 20, FRAME_NATIVE);
    FrameId leaf_a = unit_frame(st, "leaf_a", "/src/app/leaf.c", app, 30, FRAME_NATIVE);
    FrameId phys_b = unit_frame(st, "phys_b", "/src/app/leaf.c", app, 40, FRAME_NATIVE);
    FrameId inl_leaf = unit_frame(st, "inl_leaf", "/src/app/inline.h", app, 5, FRAME_INLINED);
    FrameId loop = unit_frame(st, "loop", "/src/app/main.c", app, 50, FRAME_NATIVE);
    FrameId epoll = unit_frame(st, "epoll_wait", "", libc, 0, FRAME_NATIVE);
    FrameId worker_main = unit_frame(st, "worker_main", "/src/app/worker.c", app, 7, FRAME_NATIVE);
    FrameId spin = unit_frame(st, "spin", "/src/app/worker.c", app, 12, FRAME_NATIVE);
    FrameId weird = unit_frame(st, weird_name, "/src/app/worker.c", app, 99, FRAME_NATIVE);
    FrameId unknown = unit_frame(st, "", "", "/usr/lib/libfoo.so", 0, FRAME_NATIVE);
    StackId a = Symtab_intern_stack(st, (FrameId[]){leaf_a, mid, main_fn}, 3);
    StackId b = Symtab_intern_stack(st, (FrameId[]){inl_leaf, phys_b, main_fn}, 3);
    StackId d = Symtab_intern_stack(st, (FrameId[]){epoll, loop, main_fn}, 3);
    StackId c = Symtab_intern_stack(st, (FrameId[]){spin, worker_main}, 2);
    StackId e = Symtab_intern_stack(st, (FrameId[]){weird, worker_main}, 2);
    StackId f = Symtab_intern_stack(st, (FrameId[]){unknown, worker_main}, 2);

    RecHeader h = {
        .pid = 100,
        .command = "./app --serve",
        .exe = app,
        .host = "testhost",
        .start_unix_ns = 1700000000000000000ull,
        .start_mono_ns = START_MONO,
        .rate_hz = 100,
    };
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, false, &h, &cause);
    if (!w)
        FAIL("RecWriter_open: %s", cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_thread_name(w, 100, "main", START_MONO), 0);
    assert_int_equal(RecWriter_thread_name(w, 101, "worker", START_MONO), 0);
    for (unsigned i = 0; i < 100; i++) {
        uint64_t t = START_MONO + (i + 1) * TICK_NS;
        Sample s0 = {.t_ns = t, .tid = 100, .state = 'R', .status = SAMPLE_OK};
        s0.stack = i < 60 ? a : i < 90 ? b : d;
        if (i >= 90) {
            s0.state = 'S';
            s0.blocked = true;
        }
        Sample s1 = {.t_ns = t + 50000, .tid = 101, .state = 'R', .status = SAMPLE_OK};
        s1.stack = i >= 50 && i < 55 ? e : i >= 55 && i < 60 ? f : c;
        assert_int_equal(RecWriter_add_sample(w, st, &s0), 0);
        assert_int_equal(RecWriter_add_sample(w, st, &s1), 0);
        if (i % 30 == 29)
            assert_int_equal(RecWriter_flush(w), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab_delete(st);
}

static int
setup(void **state)
{
    Fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof(fx->dir), "%s/spytop-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/app.spytop", fx->dir);
    write_recording(fx->path);
    fx->symtab = Symtab_new();
    char *cause = NULL;
    fx->reader = RecReader_open(fx->path, fx->symtab, &cause);
    if (!fx->reader || !RecReader_status(fx->reader)->complete)
        return -1;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *fx = *state;
    RecReader_delete(fx->reader);
    Symtab_delete(fx->symtab);
    unlink(fx->path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- a recording of three processes --------------------------------------
 *
 * 60 ticks at 100 Hz. Process 100 ("./app --serve", the header's): thread
 * 100 "main" in stack A throughout; thread 102 asleep (idle), its stack
 * reused for ticks 0-9. Process 200, followed from tick 10 and let go
 * after tick 49 (0.5 s), with a hostile command line: thread 200 "w-main" in C
 * (spin) for ticks 10-49, thread 201 asleep in D for ticks 10-49, reused
 * on odd ticks. Process 300, never announced: thread 301 in A for ticks
 * 0-19. */

static const char hostile_command[] = "worker;1 \"q\"\n<&> \xff end";

static void
write_procs_recording(const char *path)
{
    Symtab *st = Symtab_new();
    const char *app = "/usr/bin/app", *libc = "/lib/x86_64-linux-gnu/libc.so.6";
    FrameId main_fn = unit_frame(st, "main_fn", "/src/app/main.c", app, 10, FRAME_NATIVE);
    FrameId mid = unit_frame(st, "mid", "/src/app/main.c", app, 20, FRAME_NATIVE);
    FrameId leaf_a = unit_frame(st, "leaf_a", "/src/app/leaf.c", app, 30, FRAME_NATIVE);
    FrameId loop = unit_frame(st, "loop", "/src/app/main.c", app, 50, FRAME_NATIVE);
    FrameId epoll = unit_frame(st, "epoll_wait", "", libc, 0, FRAME_NATIVE);
    FrameId worker_main = unit_frame(st, "worker_main", "/src/app/worker.c", app, 7, FRAME_NATIVE);
    FrameId spin = unit_frame(st, "spin", "/src/app/worker.c", app, 12, FRAME_NATIVE);
    StackId a = Symtab_intern_stack(st, (FrameId[]){leaf_a, mid, main_fn}, 3);
    StackId c = Symtab_intern_stack(st, (FrameId[]){spin, worker_main}, 2);
    StackId d = Symtab_intern_stack(st, (FrameId[]){epoll, loop, main_fn}, 3);
    RecHeader h = {
        .pid = 100,
        .command = "./app --serve",
        .exe = app,
        .host = "testhost",
        .start_unix_ns = 1700000000000000000ull,
        .start_mono_ns = START_MONO,
        .rate_hz = 100,
    };
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, false, &h, &cause);
    if (!w)
        FAIL("RecWriter_open: %s", cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_process(w, 100, "./app --serve", START_MONO), 0);
    assert_int_equal(RecWriter_thread_name(w, 100, "main", START_MONO), 0);
    for (unsigned i = 0; i < 60; i++) {
        uint64_t t = START_MONO + (i + 1) * TICK_NS;
        if (i == 10) {
            assert_int_equal(RecWriter_process(w, 200, hostile_command, t), 0);
            assert_int_equal(RecWriter_thread_name(w, 200, "w-main", t), 0);
        }
        Sample row[5] = {
            {.t_ns = t, .pid = 100, .tid = 100, .state = 'R', .stack = a},
            {.t_ns = t + 10000, .pid = 100, .tid = 102, .state = 'S', .blocked = true, .stack = d},
            {.t_ns = t + 20000, .pid = 200, .tid = 200, .state = 'R', .stack = c},
            {.t_ns = t + 30000, .pid = 200, .tid = 201, .state = 'S', .blocked = true, .stack = d},
            {.t_ns = t + 40000, .pid = 300, .tid = 301, .state = 'R', .stack = a},
        };
        row[1].reused = i < 10;
        row[3].reused = i % 2 == 1;
        for (unsigned k = 0; k < 5; k++) {
            if ((k == 2 || k == 3) && (i < 10 || i >= 50))
                continue;
            if (k == 4 && i >= 20)
                continue;
            row[k].status = SAMPLE_OK;
            assert_int_equal(RecWriter_add_sample(w, st, &row[k]), 0);
        }
        if (i == 49)
            assert_int_equal(RecWriter_process_gone(w, 200, t + 100000), 0);
        if (i % 20 == 19)
            assert_int_equal(RecWriter_flush(w), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab_delete(st);
}

static int
setup_procs(void **state)
{
    Fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof(fx->dir), "%s/spytop-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/procs.spytop", fx->dir);
    write_procs_recording(fx->path);
    fx->symtab = Symtab_new();
    char *cause = NULL;
    fx->reader = RecReader_open(fx->path, fx->symtab, &cause);
    if (!fx->reader || !RecReader_status(fx->reader)->complete)
        return -1;
    /* The recording itself too, for report_consumers.sh's spytop report. */
    const char *dir = getenv("SPYTOP_REPORT_OUT");
    if (dir && *dir) {
        char *cmd = xasprintf("cp '%s' '%s/procs.spytop'", fx->path, dir);
        int rc = system(cmd);
        free(cmd);
        if (rc != 0)
            return -1;
    }
    *state = fx;
    return 0;
}

/* Renders one report into memory, and into $SPYTOP_REPORT_OUT/name. */
static char *
render(Fixture *fx, ReportFormat format, const ReportOptions *o, const char *name, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    int rc = Report_write(format, fx->reader, fx->symtab, o, f);
    assert_int_equal(rc, 0);
    assert_int_equal(fclose(f), 0);
    const char *dir = getenv("SPYTOP_REPORT_OUT");
    if (dir && *dir && name) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *o2 = fopen(path, "wb");
        assert_non_null(o2);
        assert_int_equal(fwrite(buf, 1, size, o2), size);
        assert_int_equal(fclose(o2), 0);
    }
    if (len)
        *len = size;
    return buf;
}

static ReportOptions
defaults(void)
{
    ReportOptions o;
    ReportOptions_init(&o);
    return o;
}

/* ---- collapsed ----------------------------------------------------------- */

static void
expect_text(const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        diag("got:\n%s", got);
        diag("want:\n%s", want);
        fail();
    }
}

static void
collapsed_exact(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    char *got = render(fx, REPORT_COLLAPSED, &o, "report.folded", NULL);
    expect_text(got, "main (100);main_fn;mid;leaf_a 60\n"
                     "main (100);main_fn;phys_b;inl_leaf 30\n"
                     "worker (101);worker_main;?? [libfoo.so] 5\n"
                     "worker (101);worker_main;spin 90\n"
                     "worker (101);worker_main;weird:name\\x0a<&>\"' \\xff end]]></script> 5\n");
    free(got);

    o.thread_roots = false;
    got = render(fx, REPORT_COLLAPSED, &o, NULL, NULL);
    expect_text(got, "main_fn;mid;leaf_a 60\n"
                     "main_fn;phys_b;inl_leaf 30\n"
                     "worker_main;?? [libfoo.so] 5\n"
                     "worker_main;spin 90\n"
                     "worker_main;weird:name\\x0a<&>\"' \\xff end]]></script> 5\n");
    free(got);

    o = defaults();
    o.include_idle = true;
    o.by_line = true;
    got = render(fx, REPORT_COLLAPSED, &o, "report-idle-lines.folded", NULL);
    expect_text(got,
                "main (100);main_fn (app/main.c:10);loop (app/main.c:50);epoll_wait 10\n"
                "main (100);main_fn (app/main.c:10);mid (app/main.c:20);leaf_a (app/leaf.c:30) "
                "60\n"
                "main (100);main_fn (app/main.c:10);phys_b (app/leaf.c:40);inl_leaf "
                "(app/inline.h:5) 30\n"
                "worker (101);worker_main (app/worker.c:7);?? [libfoo.so] 5\n"
                "worker (101);worker_main (app/worker.c:7);spin (app/worker.c:12) 90\n"
                "worker (101);worker_main (app/worker.c:7);weird:name\\x0a<&>\"' \\xff "
                "end]]></script> (app/worker.c:99) 5\n");
    free(got);
}

static void
collapsed_filters(void **state)
{
    Fixture *fx = *state;
    /* Ticks 19-48, at 200 ms ... 490 ms. */
    ReportOptions o = defaults();
    o.from_ns = 200000000;
    o.to_ns = 500000000;
    char *got = render(fx, REPORT_COLLAPSED, &o, NULL, NULL);
    expect_text(got, "main (100);main_fn;mid;leaf_a 30\n"
                     "worker (101);worker_main;spin 30\n");
    free(got);
    o = defaults();
    o.tid = 100;
    o.include_idle = true;
    got = render(fx, REPORT_COLLAPSED, &o, NULL, NULL);
    expect_text(got, "main (100);main_fn;loop;epoll_wait 10\n"
                     "main (100);main_fn;mid;leaf_a 60\n"
                     "main (100);main_fn;phys_b;inl_leaf 30\n");
    free(got);
    /* Nothing selected: an empty report, no error. */
    o = defaults();
    o.tid = 4242;
    got = render(fx, REPORT_COLLAPSED, &o, NULL, NULL);
    expect_text(got, "");
    free(got);
    /* --full-filenames: the whole path, by line; and in the text report. */
    o = defaults();
    o.tid = 100;
    o.by_line = true;
    o.full_paths = true;
    got = render(fx, REPORT_COLLAPSED, &o, NULL, NULL);
    assert_non_null(strstr(got, ";leaf_a (/src/app/leaf.c:30) 60\n"));
    free(got);
    o.by_line = false;
    got = render(fx, REPORT_TEXT, &o, NULL, NULL);
    assert_non_null(strstr(got, "  leaf_a    /src/app/leaf.c:30   [app]\n"));
    free(got);
}

/* ---- text ---------------------------------------------------------------- */

static void
text_hot_list(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    char *got = render(fx, REPORT_TEXT, &o, "report.txt", NULL);
    diag("text report:\n%s", got);
    assert_non_null(strstr(got, "PID 100 ./app --serve on testhost"));
    assert_non_null(strstr(got, "190 thread samples (10 idle left out)"));
    /* Own time order: spin 90, leaf_a 60, inl_leaf 30, then the two
     * with 5; percentages of the 1.9 s selected. */
    /* The columns line up; an unknown function is "??", its module named
     * once, in the module column. */
    assert_non_null(strstr(got, "TotalTime  Function                                  Location    "
                                "     [Module]\n"));
    const char *spin = strstr(got, "  47.4   47.4     0.90s     0.90s  spin                  "
                                   "                    app/worker.c:12  [app]\n");
    const char *leaf = strstr(got, "  31.6   31.6     0.60s     0.60s  leaf_a");
    const char *inl = strstr(got, "  15.8   15.8     0.30s     0.30s  inl_leaf");
    assert_non_null(spin);
    assert_non_null(leaf);
    assert_non_null(inl);
    assert_true(spin < leaf && leaf < inl);
    assert_non_null(strstr(got, "   0.0   52.6     0.00s     1.00s  worker_main"));
    assert_non_null(strstr(got, "0.05s  ??                                                  "
                                "       [libfoo.so]\n"));
    assert_null(strstr(got, "?? [libfoo.so]"));
    /* The hostile name is escaped for the terminal. */
    assert_null(strstr(got, "weird;name\n"));
    assert_non_null(strstr(got, "weird;name\\x0a"));
    /* Threads: samples and how many ran. */
    assert_non_null(strstr(got, "     100      100   90.0%  main"));
    assert_non_null(strstr(got, "     101      100  100.0%  worker"));
    free(got);
    o.rows = 2;
    got = render(fx, REPORT_TEXT, &o, NULL, NULL);
    assert_non_null(strstr(got, "(7 more rows)"));
    assert_null(strstr(got, "inl_leaf"));
    free(got);
}

/* %Own and %Total are shares of samples, whatever time each stands for:
 * 50 samples of fast 1 ms ticks in `quick`, then 50 of slow 30 ms ticks in
 * `slow` give 50/50, as the live view, view and collapsed count them (a
 * time-weighted share would be far from it). */
static void
text_shares_are_sample_shares(void **state)
{
    Fixture *fx = *state;
    char path[600];
    snprintf(path, sizeof(path), "%s/uneven.spytop", fx->dir);
    Symtab *st = Symtab_new();
    FrameId quick = unit_frame(st, "quick", "/src/q.c", "/usr/bin/app", 1, FRAME_NATIVE);
    FrameId slow = unit_frame(st, "slow", "/src/s.c", "/usr/bin/app", 2, FRAME_NATIVE);
    StackId sq = Symtab_intern_stack(st, (FrameId[]){quick}, 1);
    StackId ss = Symtab_intern_stack(st, (FrameId[]){slow}, 1);
    RecHeader h = {.pid = 7,
                   .command = "app",
                   .exe = "/usr/bin/app",
                   .host = "h",
                   .start_mono_ns = START_MONO,
                   .rate_hz = 100};
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, false, &h, &cause);
    assert_non_null(w);
    uint64_t t = START_MONO;
    for (unsigned i = 0; i < 100; i++) {
        t += i < 50 ? 1000000ull : 30000000ull;
        Sample s = {.t_ns = t, .tid = 7, .state = 'R', .status = SAMPLE_OK};
        s.stack = i < 50 ? sq : ss;
        assert_int_equal(RecWriter_add_sample(w, st, &s), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab_delete(st);

    Fixture uneven = *fx;
    uneven.symtab = Symtab_new();
    uneven.reader = RecReader_open(path, uneven.symtab, &cause);
    assert_non_null(uneven.reader);
    ReportOptions o = defaults();
    char *got = render(&uneven, REPORT_TEXT, &o, NULL, NULL);
    diag("text report:\n%s", got);
    const char *q = strstr(got, "  quick  ");
    const char *sl = strstr(got, "  slow  ");
    assert_non_null(q);
    assert_non_null(sl);
    /* Each row starts with "  50.0   50.0" (the line's first columns). */
    const char *q_line = q, *s_line = sl;
    while (q_line > got && q_line[-1] != '\n')
        q_line--;
    while (s_line > got && s_line[-1] != '\n')
        s_line--;
    assert_int_equal(strncmp(q_line, "  50.0   50.0", 13), 0);
    assert_int_equal(strncmp(s_line, "  50.0   50.0", 13), 0);
    free(got);
    RecReader_delete(uneven.reader);
    Symtab_delete(uneven.symtab);
    unlink(path);
}

/* ---- speedscope ---------------------------------------------------------- */

/* A JSON syntax check (RFC 8259), enough to catch a stray byte. */
typedef struct Json {
    const char *p, *end;
    const char *error;
} Json;

static void json_value(Json *j, int depth);

static void
json_ws(Json *j)
{
    while (j->p < j->end && strchr(" \t\r\n", *j->p) && *j->p)
        j->p++;
}

static void
json_expect(Json *j, char c)
{
    json_ws(j);
    if (j->p < j->end && *j->p == c)
        j->p++;
    else if (!j->error)
        j->error = j->p;
}

static void
json_string(Json *j)
{
    json_expect(j, '"');
    while (!j->error && j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20) {
            j->error = j->p;
            return;
        }
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end || !strchr("\"\\/bfnrtu", *j->p) || !*j->p) {
                j->error = j->p;
                return;
            }
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (j->p + i >= j->end || !strchr("0123456789abcdefABCDEF", j->p[i]) ||
                        !j->p[i])
                        j->error = j->p;
                j->p += 4;
            }
            j->p++;
            continue;
        }
        /* UTF-8 must be valid. */
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        if (!len || j->p + len > j->end) {
            j->error = j->p;
            return;
        }
        for (size_t i = 1; i < len; i++)
            if (((unsigned char)j->p[i] & 0xc0) != 0x80)
                j->error = j->p;
        j->p += len;
    }
    json_expect(j, '"');
}

static void
json_value(Json *j, int depth)
{
    json_ws(j);
    if (j->error || j->p >= j->end || depth > 64) {
        j->error = j->p;
        return;
    }
    char c = *j->p;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        json_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return;
        }
        for (;;) {
            if (c == '{') {
                json_string(j);
                json_expect(j, ':');
            }
            json_value(j, depth + 1);
            json_ws(j);
            if (j->error || j->p >= j->end) {
                j->error = j->p;
                return;
            }
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            json_expect(j, close);
            return;
        }
    }
    if (c == '"') {
        json_string(j);
        return;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *endp;
        strtod(j->p, &endp);
        if (endp == j->p)
            j->error = j->p;
        j->p = endp;
        return;
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= n && strncmp(j->p, words[i], n) == 0) {
            j->p += n;
            return;
        }
    }
    j->error = j->p;
}

static void
assert_json(const char *text, size_t len)
{
    Json j = {text, text + len, NULL};
    json_value(&j, 0);
    json_ws(&j);
    if (j.error || j.p != j.end)
        FAIL("invalid JSON at byte %td: %.40s", (j.error ? j.error : j.p) - text,
             j.error ? j.error : j.p);
}

static size_t
count_of(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void
speedscope_valid(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_SPEEDSCOPE, &o, "report.speedscope.json", &len);
    assert_json(got, len);
    assert_non_null(
        strstr(got, "\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
    /* Frames numbered in order of first use: thread 100's stack A first,
     * innermost first: leaf_a 0, mid 1, main_fn 2. */
    assert_non_null(strstr(got, "{\"name\":\"leaf_a\",\"file\":\"/src/app/leaf.c\",\"line\":30}"));
    assert_non_null(strstr(got, "{\"name\":\"?? [libfoo.so]\"}"));
    assert_non_null(
        strstr(got, "{\"name\":\"weird;name\\n<&>\\\"' \\ufffd end]]></script>\",\"file\""));
    /* One profile per thread; samples outermost first; every weight one
     * 10 ms interval (the real spacing here); idle ones left out. */
    const char *main_p = strstr(got, "{\"type\":\"sampled\",\"name\":\"main (100)\","
                                     "\"unit\":\"nanoseconds\",\"startValue\":0,"
                                     "\"endValue\":900000000,");
    const char *worker_p = strstr(got, "{\"type\":\"sampled\",\"name\":\"worker (101)\"");
    assert_non_null(main_p);
    assert_non_null(worker_p);
    assert_non_null(strstr(main_p, "\"samples\":[[2,1,0],[2,1,0],"));
    assert_int_equal(count_of(got, ",10000000") + count_of(got, "[10000000"), 190);
    assert_int_equal(count_of(got, "\"type\":\"sampled\""), 2);
    /* The worker's first sample comes 50 us after the start: an empty
     * sample of that time first. */
    assert_non_null(strstr(worker_p, "\"startValue\":0,\"endValue\":1000050000"));
    assert_non_null(strstr(worker_p, "\"samples\":[[],[6,5],"));
    assert_non_null(strstr(worker_p, "\"weights\":[50000,10000000,"));
    free(got);

    /* By line: a frame per line; and idle included. */
    o.by_line = true;
    o.include_idle = true;
    got = render(fx, REPORT_SPEEDSCOPE, &o, "report-lines.speedscope.json", &len);
    assert_json(got, len);
    assert_non_null(strstr(
        got, "{\"name\":\"leaf_a (app/leaf.c:30)\",\"file\":\"/src/app/leaf.c\",\"line\":30}"));
    assert_int_equal(count_of(got, ",10000000") + count_of(got, "[10000000"), 200);
    free(got);

    /* Nothing selected is still a valid file. */
    o = defaults();
    o.tid = 4242;
    got = render(fx, REPORT_SPEEDSCOPE, &o, NULL, &len);
    assert_json(got, len);
    free(got);
}

/* A recording that reached only 40 Hz of the 100 asked: thread 7 runs for
 * ticks 0-9, sleeps for 10-19, runs for 20-29, a tick every 25 ms from
 * 25 ms after the start. Opened into *symtab. */
static RecReader *
open_slow_recording(Fixture *fx, Symtab **symtab)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/slow.spytop", fx->dir);
    Symtab *st = Symtab_new();
    FrameId outer = unit_frame(st, "outer", "/src/slow.c", "/usr/bin/slow", 3, FRAME_NATIVE);
    FrameId work = unit_frame(st, "work", "/src/slow.c", "/usr/bin/slow", 9, FRAME_NATIVE);
    FrameId nap = unit_frame(st, "nanosleep", "", "/lib/libc.so.6", 0, FRAME_NATIVE);
    StackId busy = Symtab_intern_stack(st, (FrameId[]){work, outer}, 2);
    StackId idle = Symtab_intern_stack(st, (FrameId[]){nap, outer}, 2);
    RecHeader h = {.pid = 7,
                   .command = "slow",
                   .exe = "/usr/bin/slow",
                   .host = "h",
                   .start_mono_ns = START_MONO,
                   .rate_hz = 100};
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, false, &h, &cause);
    assert_non_null(w);
    for (unsigned i = 0; i < 30; i++) {
        bool sleeping = i >= 10 && i < 20;
        Sample smp = {.t_ns = START_MONO + (i + 1) * 25000000ull,
                      .tid = 7,
                      .state = sleeping ? 'S' : 'R',
                      .blocked = sleeping,
                      .status = SAMPLE_OK,
                      .stack = sleeping ? idle : busy};
        assert_int_equal(RecWriter_add_sample(w, st, &smp), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab_delete(st);
    *symtab = Symtab_new();
    RecReader *r = RecReader_open(path, *symtab, &cause);
    assert_non_null(r);
    unlink(path);
    return r;
}

/* The time axis is the recording's, however low the rate reached: each
 * sample weighs the real 25 ms between ticks, and the idle ticks left out
 * are one empty sample of their time. */
static void
speedscope_time_axis(void **state)
{
    Fixture *fx = *state;
    Symtab *st;
    RecReader *r = open_slow_recording(fx, &st);
    assert_int_equal(RecReader_status(r)->duration_ns, 750000000);
    ReportOptions o = defaults();
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_int_equal(Report_speedscope(r, st, &o, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_json(buf, size);
    diag("%s", buf);
    assert_non_null(strstr(buf, "\"startValue\":0,\"endValue\":750000000,"));
    assert_non_null(strstr(buf, "\"samples\":[[1,0],[1,0],[1,0],[1,0],[1,0],[1,0],[1,0],[1,0],"
                                "[1,0],[1,0],[],[1,0],"));
    assert_non_null(strstr(buf,
                           "\"weights\":[25000000,25000000,25000000,25000000,25000000,"
                           "25000000,25000000,25000000,25000000,25000000,250000000,25000000,"));
    assert_int_equal(count_of(buf, "25000000,") + count_of(buf, "25000000]"), 20);
    /* Frames carry their line by function too. */
    assert_non_null(strstr(buf, "{\"name\":\"outer\",\"file\":\"/src/slow.c\",\"line\":3}"));
    free(buf);

    /* Idle included: no gap, 30 samples of 25 ms. */
    o.include_idle = true;
    buf = NULL;
    f = open_memstream(&buf, &size);
    assert_int_equal(Report_speedscope(r, st, &o, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(buf, "\"startValue\":0,\"endValue\":750000000,"));
    assert_null(strstr(buf, "[]"));
    assert_int_equal(count_of(buf, "25000000,") + count_of(buf, "25000000]"), 30);
    free(buf);
    RecReader_delete(r);
    Symtab_delete(st);
}

/* ---- pprof: gunzip and decode ------------------------------------------- */

typedef struct PbSample {
    uint64_t locations[16];
    size_t nlocations;
    uint64_t values[2];
    size_t nvalues;
    uint64_t thread_str, tid;  /* the labels "thread" and "tid" */
    uint64_t process_str, pid; /* "process" and "pid" (0: none) */
    uint64_t label_key[8], label_str[8], label_num[8];
    size_t nlabels;
} PbSample;

typedef struct PbLocation {
    uint64_t id, mapping, address;
    uint64_t functions[8], lines[8];
    size_t nlines;
} PbLocation;

typedef struct Pb {
    char *strings[256];
    size_t nstrings;
    uint64_t function_ids[64], function_names[64], function_files[64];
    uint64_t function_system_names[64];
    uint64_t mapping_ids[16], mapping_starts[16], mapping_limits[16], mapping_files[16];
    size_t nfunctions;
    PbLocation locations[64];
    size_t nlocations;
    PbSample samples[32];
    size_t nsamples;
    size_t nmappings, nsample_types;
    uint64_t period, duration, time, default_type;
} Pb;

static uint8_t *
gunzip(const char *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    size_t cap = 1 << 20;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    inflateEnd(&zs);
    return out;
}

/* The next field: its number, and its value or bytes. */
static bool
pb_field(RecCursor *c, unsigned *field, uint64_t *v, RecCursor *sub)
{
    if (RecCursor_left(c) == 0)
        return false;
    uint64_t tag = RecCursor_varint(c);
    *field = (unsigned)(tag >> 3);
    if ((tag & 7) == 0) {
        *v = RecCursor_varint(c);
    } else if ((tag & 7) == 2) {
        size_t len;
        const uint8_t *p = RecCursor_bytes(c, &len);
        *sub = (RecCursor){p, p + len, false};
    } else {
        FAIL("wire type %u", (unsigned)(tag & 7));
    }
    assert_false(c->bad);
    return true;
}

static void
pb_decode(const uint8_t *data, size_t len, Pb *pb)
{
    memset(pb, 0, sizeof(*pb));
    RecCursor c = {data, data + len, false};
    unsigned f;
    uint64_t v;
    RecCursor sub, sub2, sub3;
    while (pb_field(&c, &f, &v, &sub)) {
        switch (f) {
        case 1:
            pb->nsample_types++;
            break;
        case 2: {
            PbSample *s = &pb->samples[pb->nsamples++];
            while (pb_field(&sub, &f, &v, &sub2)) {
                if (f == 1)
                    while (RecCursor_left(&sub2))
                        s->locations[s->nlocations++] = RecCursor_varint(&sub2);
                else if (f == 2)
                    while (RecCursor_left(&sub2))
                        s->values[s->nvalues++] = RecCursor_varint(&sub2);
                else if (f == 3) {
                    uint64_t key = 0, str = 0, num = 0;
                    while (pb_field(&sub2, &f, &v, &sub3)) {
                        if (f == 1)
                            key = v;
                        else if (f == 2)
                            str = v;
                        else if (f == 3)
                            num = v;
                    }
                    assert_true(s->nlabels < 8);
                    s->label_key[s->nlabels] = key;
                    s->label_str[s->nlabels] = str;
                    s->label_num[s->nlabels++] = num;
                }
            }
            break;
        }
        case 3: {
            size_t k = pb->nmappings++;
            while (pb_field(&sub, &f, &v, &sub2)) {
                if (f == 1)
                    pb->mapping_ids[k] = v;
                else if (f == 2)
                    pb->mapping_starts[k] = v;
                else if (f == 3)
                    pb->mapping_limits[k] = v;
                else if (f == 5)
                    pb->mapping_files[k] = v;
            }
            break;
        }
        case 4: {
            PbLocation *l = &pb->locations[pb->nlocations++];
            while (pb_field(&sub, &f, &v, &sub2)) {
                if (f == 1)
                    l->id = v;
                else if (f == 2)
                    l->mapping = v;
                else if (f == 3)
                    l->address = v;
                else if (f == 4) {
                    while (pb_field(&sub2, &f, &v, &sub3)) {
                        if (f == 1)
                            l->functions[l->nlines] = v;
                        else if (f == 2)
                            l->lines[l->nlines] = v;
                    }
                    l->nlines++;
                }
            }
            break;
        }
        case 5: {
            size_t k = pb->nfunctions++;
            while (pb_field(&sub, &f, &v, &sub2)) {
                if (f == 1)
                    pb->function_ids[k] = v;
                else if (f == 2)
                    pb->function_names[k] = v;
                else if (f == 3)
                    pb->function_system_names[k] = v;
                else if (f == 4)
                    pb->function_files[k] = v;
            }
            break;
        }
        case 6:
            pb->strings[pb->nstrings++] = strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
            break;
        case 9:
            pb->time = v;
            break;
        case 10:
            pb->duration = v;
            break;
        case 12:
            pb->period = v;
            break;
        case 14:
            pb->default_type = v;
            break;
        default:
            break;
        }
    }
    /* Labels by their key: the string table comes last. */
    for (size_t i = 0; i < pb->nsamples; i++) {
        PbSample *s = &pb->samples[i];
        for (size_t k = 0; k < s->nlabels; k++) {
            assert_true(s->label_key[k] < pb->nstrings);
            const char *key = pb->strings[s->label_key[k]];
            if (strcmp(key, "thread") == 0)
                s->thread_str = s->label_str[k];
            else if (strcmp(key, "tid") == 0)
                s->tid = s->label_num[k];
            else if (strcmp(key, "process") == 0)
                s->process_str = s->label_str[k];
            else if (strcmp(key, "pid") == 0)
                s->pid = s->label_num[k];
            else
                FAIL("unexpected label %s", key);
        }
    }
}

static const char *
pb_function(const Pb *pb, uint64_t id)
{
    for (size_t i = 0; i < pb->nfunctions; i++)
        if (pb->function_ids[i] == id)
            return pb->strings[pb->function_names[i]];
    return NULL;
}

static const PbLocation *
pb_location(const Pb *pb, uint64_t id)
{
    for (size_t i = 0; i < pb->nlocations; i++)
        if (pb->locations[i].id == id)
            return &pb->locations[i];
    return NULL;
}

/* A sample as "tid count ns: leaf|inlined-into,caller,...". */
static void
describe(const Pb *pb, const PbSample *s, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%llu %llu %llu:", (unsigned long long)s->tid,
                                (unsigned long long)s->values[0], (unsigned long long)s->values[1]);
    for (size_t i = 0; i < s->nlocations; i++) {
        const PbLocation *l = pb_location(pb, s->locations[i]);
        if (!l) {
            FAIL("sample names location %llu, which is not there",
                 (unsigned long long)s->locations[i]);
            return;
        }
        for (size_t k = 0; k < l->nlines; k++)
            n +=
                (size_t)snprintf(buf + n, size - n, "%s%s:%llu",
                                 k   ? "|"
                                 : i ? ","
                                     : " ",
                                 pb_function(pb, l->functions[k]), (unsigned long long)l->lines[k]);
    }
}

static void
pprof_decodes(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_PPROF, &o, "report.pb.gz", &len);
    assert_true(len > 20);
    assert_int_equal((unsigned char)got[0], 0x1f); /* gzip */
    assert_int_equal((unsigned char)got[1], 0x8b);
    size_t raw_len;
    uint8_t *raw = gunzip(got, len, &raw_len);
    Pb pb;
    pb_decode(raw, raw_len, &pb);
    assert_true(pb.nstrings > 0);
    assert_string_equal(pb.strings[0], "");
    assert_int_equal(pb.nsample_types, 2);
    assert_int_equal(pb.period, 10000000);
    /* Idle samples left out: the time is CPU time (running or runnable). */
    assert_string_equal(pb.strings[pb.default_type], "cpu");
    assert_int_equal(pb.nsamples, 5);
    /* The executable first (pprof titles the profile by it), then
     * libfoo; every mapping a range of its own. */
    assert_int_equal(pb.nmappings, 2);
    assert_string_equal(pb.strings[pb.mapping_files[0]], "/usr/bin/app");
    assert_string_equal(pb.strings[pb.mapping_files[1]], "/usr/lib/libfoo.so");
    assert_true(pb.mapping_starts[0] < pb.mapping_limits[0]);
    assert_true(pb.mapping_limits[0] <= pb.mapping_starts[1]);
    /* Every location an address: non-zero, in its mapping's range, one per
     * function (phys_b's location, with inl_leaf inlined, has phys_b's). */
    for (size_t i = 0; i < pb.nlocations; i++) {
        const PbLocation *l = &pb.locations[i];
        assert_true(l->address != 0);
        assert_true(l->mapping >= 1 && l->mapping <= pb.nmappings);
        assert_true(l->address >= pb.mapping_starts[l->mapping - 1]);
        assert_true(l->address < pb.mapping_limits[l->mapping - 1]);
        for (size_t k = 0; k < i; k++) {
            const PbLocation *o2 = &pb.locations[k];
            bool same = o2->functions[o2->nlines - 1] == l->functions[l->nlines - 1];
            assert_true(same == (o2->address == l->address));
        }
    }
    /* No system_name: the names are demangled already (pprof would cut
     * what looks like C++ template arguments otherwise). */
    for (size_t i = 0; i < pb.nfunctions; i++)
        assert_int_equal(pb.function_system_names[i], 0);
    const char *want[] = {
        "100 60 600000000: leaf_a:30,mid:20,main_fn:10",
        "100 30 300000000: inl_leaf:5|phys_b:40,main_fn:10",
        "101 90 900000000: spin:12,worker_main:7",
        "101 5 50000000: weird;name\\x0a<&>\"' \\xff end]]></script>:99,worker_main:7",
        "101 5 50000000: ?? [libfoo.so]:0,worker_main:7",
    };
    for (size_t i = 0; i < pb.nsamples; i++) {
        char line[512];
        describe(&pb, &pb.samples[i], line, sizeof(line));
        bool found = false;
        for (size_t k = 0; k < ARRAY_SIZE(want); k++)
            found |= strcmp(line, want[k]) == 0;
        if (!found)
            FAIL("unexpected pprof sample: %s", line);
        const char *thread = pb.strings[pb.samples[i].thread_str];
        assert_string_equal(thread, pb.samples[i].tid == 100 ? "main" : "worker");
    }
    /* Locations are shared: main_fn's is one location for both stacks. */
    assert_int_equal(pb.nlocations, 8);
    for (size_t i = 0; i < pb.nstrings; i++)
        free(pb.strings[i]);
    free(raw);
    free(got);

    /* Idle samples kept: wall time. */
    o.include_idle = true;
    got = render(fx, REPORT_PPROF, &o, "report-idle.pb.gz", &len);
    raw = gunzip(got, len, &raw_len);
    pb_decode(raw, raw_len, &pb);
    assert_string_equal(pb.strings[pb.default_type], "wall");
    assert_int_equal(pb.nsamples, 6);
    for (size_t i = 0; i < pb.nstrings; i++)
        free(pb.strings[i]);
    free(raw);
    free(got);
}

/* ---- chrome and gecko ---------------------------------------------------- */

/* Complete events nest: thread 100's main_fn spans its 90 running ticks
 * (0.9 s), leaf_a the first 60; times in microseconds. */
static void
chrome_events(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_CHROME, &o, "report.chrome.json", &len);
    assert_json(got, len);
    assert_non_null(strstr(got, "{\"traceEvents\":["));
    assert_non_null(strstr(got, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":100,\"tid\":101,"
                                "\"args\":{\"name\":\"worker (101)\"}}"));
    assert_non_null(strstr(got,
                           "{\"name\":\"main_fn\",\"cat\":\"native\",\"ph\":\"X\",\"ts\":0.000,"
                           "\"dur\":900000.000,\"pid\":100,\"tid\":100,"
                           "\"args\":{\"file\":\"/src/app/main.c\",\"line\":10}}"));
    assert_non_null(strstr(got, "{\"name\":\"leaf_a\",\"cat\":\"native\",\"ph\":\"X\",\"ts\":0.000,"
                                "\"dur\":600000.000,"));
    /* The worker's spin: two runs around the 10 ticks of e and f. */
    assert_int_equal(count_of(got, "{\"name\":\"spin\","), 2);
    /* main_fn, mid, leaf_a, phys_b, inl_leaf; worker_main, spin twice,
     * the hostile name, ??. */
    assert_int_equal(count_of(got, "\"ph\":\"X\""), 10);
    free(got);
}

/* Samples per thread at the start of the time each stands for; the
 * tables as columns of equal length. */
static void
gecko_tables(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_GECKO, &o, "report.gecko.json", &len);
    assert_json(got, len);
    assert_non_null(strstr(got, "\"preprocessedProfileVersion\":57,"));
    assert_non_null(strstr(got, "\"interval\":10.000000,"));
    /* The main thread first, 90 samples; the worker 100. */
    const char *main_t = strstr(got, "{\"name\":\"main\",\"isMainThread\":true,");
    const char *worker_t = strstr(got, "{\"name\":\"worker\",\"isMainThread\":false,");
    assert_non_null(main_t);
    assert_non_null(worker_t);
    assert_true(main_t < worker_t);
    /* Each ends with a null sample at the end of its last one's time. */
    assert_non_null(strstr(main_t, "\"weightType\":\"samples\",\"length\":91}"));
    assert_non_null(strstr(main_t, ",880.000000,890.000000,900.000000],"));
    assert_non_null(strstr(main_t, "\"time\":[0.000000,10.000000,20.000000,"));
    /* The worker's first sample 50 us after the start: a null one at 0. */
    assert_non_null(strstr(worker_t, "\"weightType\":\"samples\",\"length\":102}"));
    assert_non_null(strstr(worker_t, "\"stack\":[null,"));
    assert_non_null(strstr(worker_t, "\"time\":[0.000000,0.050000,10.050000,"));
    free(got);
}

/* ---- svg ----------------------------------------------------------------- */

static void
svg_escapes(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_SVG, &o, "report.svg", &len);
    assert_true(strncmp(got, "<?xml version=\"1.0\"", 19) == 0);
    assert_non_null(strstr(got, "</svg>\n"));
    /* Every box: all, 2 threads, main_fn, mid, leaf_a, phys_b, inl_leaf,
     * worker_main, spin, weird, ??. */
    assert_int_equal(count_of(got, "<g><title>"), 12);
    /* A box's title: name, samples, then file:line where known. */
    assert_non_null(strstr(got, "<title>spin\n90 samples (47.37%)\napp/worker.c:12</title>"));
    assert_non_null(strstr(got, "<title>?? [libfoo.so]\n5 samples (2.63%)</title>"));
    /* The sample count sits under the root bar, not on it. */
    const char *root = strstr(got, "<title>all\n");
    const char *label = strstr(got, " samples</text>");
    assert_non_null(root);
    assert_non_null(label);
    unsigned root_y = 0, label_y = 0;
    assert_int_equal(sscanf(strstr(root, "<rect "), "<rect x=\"%*[^\"]\" y=\"%u\"", &root_y), 1);
    while (label > got && strncmp(label, "<text ", 6) != 0)
        label--;
    assert_int_equal(sscanf(label, "<text x=\"%*[^\"]\" y=\"%u\"", &label_y), 1);
    assert_true(label_y - 12 >= root_y + 15); /* a 12 px font under a 15 px bar */
    /* The icicle toggle. */
    assert_non_null(strstr(got, "<text id=\"orient\""));
    /* The hostile name: escaped, its control character and its invalid
     * byte made U+FFFD, and no CDATA end outside the script. */
    assert_non_null(strstr(got, "<title>weird;name\xef\xbf\xbd&lt;&amp;&gt;&quot;&apos; "
                                "\xef\xbf\xbd end]]&gt;&lt;/script&gt;\n5 samples"));
    assert_int_equal(count_of(got, "]]>"), 1);
    assert_int_equal(count_of(got, "<script"), 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)got[i] < 0x20 && got[i] != '\n')
            FAIL("control byte 0x%02x at %zu", (unsigned char)got[i], i);
    /* Boxes laid out from the left: the root spans the width. */
    assert_non_null(strstr(got, "<title>all\n190 samples (100.00%)</title><rect x=\"10.00\""));
    assert_non_null(strstr(got, "width=\"1180.00\""));
    free(got);
    o.by_line = true;
    o.include_idle = true;
    o.thread_roots = false;
    o.title = "By <line> & idle";
    got = render(fx, REPORT_SVG, &o, "report-lines.svg", &len);
    assert_non_null(strstr(got, "By &lt;line&gt; &amp; idle"));
    assert_non_null(strstr(got, "<title>epoll_wait\n10 samples"));
    free(got);
}

/* The live view sets the locale from the environment; a comma as decimal
 * point must not reach the SVG's numbers. Skipped where no such locale is
 * installed. */
static void
svg_ignores_numeric_locale(void **state)
{
    Fixture *fx = *state;
    const char *comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"};
    const char *found = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(comma) && !found; i++)
        if (setlocale(LC_NUMERIC, comma[i]))
            found = comma[i];
    if (!found) {
        diag("no locale with a decimal comma here");
        skip();
    }
    char probe[16];
    snprintf(probe, sizeof(probe), "%.1f", 1.5);
    diag("%s prints 1.5 as %s", found, probe);
    ReportOptions o = defaults();
    char *got = render(fx, REPORT_SVG, &o, NULL, NULL);
    setlocale(LC_NUMERIC, "C");
    assert_non_null(strstr(got, "data-font-width=\"7.08\""));
    assert_non_null(strstr(got, "<title>all\n190 samples (100.00%)</title><rect x=\"10.00\""));
    assert_non_null(strstr(got, "width=\"1180.00\""));
    free(got);
}

/* ---- several processes -------------------------------------------------- */

/* A root frame per process, its command line escaped as frames are (no
 * ';', no line break, no invalid UTF-8); --pid: one process, no roots. */
static void
procs_collapsed(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    char *got = render(fx, REPORT_COLLAPSED, &o, "procs.folded", NULL);
    expect_text(got, "PID 100 ./app --serve;main (100);main_fn;mid;leaf_a 60\n"
                     "PID 200 worker:1 \"q\"\\x0a<&> \\xff end;w-main (200);worker_main;spin 40\n"
                     "PID 300;tid 301;main_fn;mid;leaf_a 20\n");
    free(got);
    o.thread_roots = false;
    got = render(fx, REPORT_COLLAPSED, &o, NULL, NULL);
    expect_text(got, "PID 100 ./app --serve;main_fn;mid;leaf_a 60\n"
                     "PID 200 worker:1 \"q\"\\x0a<&> \\xff end;worker_main;spin 40\n"
                     "PID 300;main_fn;mid;leaf_a 20\n");
    free(got);
    o = defaults();
    o.pid = 200;
    o.include_idle = true;
    got = render(fx, REPORT_COLLAPSED, &o, "procs-pid200.folded", NULL);
    expect_text(got, "tid 201;main_fn;loop;epoll_wait 40\n"
                     "w-main (200);worker_main;spin 40\n");
    free(got);
}

/* The text report counts the processes, lists them, and keeps its
 * summary lines (Reused:, the threads) to the process selected. */
static void
procs_text(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    char *got = render(fx, REPORT_TEXT, &o, "procs.txt", NULL);
    assert_non_null(
        strstr(got, " report: PID 100 ./app --serve and 2 other processes on testhost\n"));
    assert_non_null(strstr(got, "Selection: 0.0 s to 0.6 s, all 3 processes, all threads, 120 "
                                "thread samples (100 idle left out), by function\n"));
    assert_non_null(strstr(got, "\nReused: 30 samples "));
    assert_non_null(strstr(got, "\n     PID  Samples  Active Threads  Command\n"
                                "     100      120   50.0%       2  ./app --serve\n"
                                "     200       80   50.0%       2  worker;1 \"q\"\\x0a<&> "
                                "\\xff end (until 0.5 s)\n"
                                "     300       20  100.0%       1  \n"));
    assert_non_null(strstr(got, "\n     PID      TID  Samples  Active  Thread\n"
                                "     100      100       60  100.0%  main\n"));
    assert_non_null(strstr(got, "\n     300      301       20  100.0%  \n"));
    free(got);

    o.pid = 200;
    got = render(fx, REPORT_TEXT, &o, "procs-pid200.txt", NULL);
    assert_non_null(strstr(got, " report: PID 200 worker;1 \"q\"\\x0a<&> \\xff end on testhost\n"));
    assert_non_null(strstr(got, ", process 200, all threads, 40 thread samples (40 idle left "
                                "out), by function\n"));
    assert_non_null(strstr(got, "\nReused: 20 samples "));
    assert_non_null(strstr(got, "\n     TID  Samples  Active  Thread\n"
                                "     200       40  100.0%  w-main\n"
                                "     201       40    0.0%  \n"));
    assert_null(strstr(got, "main_fn;mid"));
    assert_null(strstr(got, "leaf_a"));
    assert_null(strstr(got, "     100 "));
    free(got);
}

/* speedscope: a profile per thread, named after its process too. */
static void
procs_speedscope(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_SPEEDSCOPE, &o, "procs.speedscope.json", &len);
    assert_json(got, len);
    assert_non_null(strstr(got, "\"name\":\"PID 100 ./app --serve and 2 other processes\",\n"));
    assert_non_null(strstr(got, "{\"type\":\"sampled\",\"name\":\"PID 100 ./app --serve: main "
                                "(100)\","));
    assert_non_null(strstr(got, "{\"type\":\"sampled\",\"name\":\"PID 200 worker;1 "
                                "\\\"q\\\"\\n<&> \\ufffd end: w-main (200)\","));
    assert_non_null(strstr(got, "{\"type\":\"sampled\",\"name\":\"PID 300: tid 301\","));
    assert_int_equal(count_of(got, "{\"type\":\"sampled\""), 3);
    free(got);
}

/* pprof: the numeric label pid (and process) on every sample. */
static void
procs_pprof(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_PPROF, &o, "procs.pb.gz", &len);
    size_t raw_len;
    uint8_t *raw = gunzip(got, len, &raw_len);
    Pb pb;
    pb_decode(raw, raw_len, &pb);
    assert_int_equal(pb.nsamples, 3);
    uint64_t per_pid[4] = {0};
    for (size_t i = 0; i < pb.nsamples; i++) {
        const PbSample *ps = &pb.samples[i];
        uint64_t want = ps->tid == 301 ? 300 : ps->tid;
        if (ps->pid != want)
            FAIL("tid %llu has pid %llu", (unsigned long long)ps->tid, (unsigned long long)ps->pid);
        per_pid[ps->pid / 100] += ps->values[0];
        const char *process = pb.strings[ps->process_str];
        if (ps->pid == 200)
            assert_string_equal(process, "PID 200 worker;1 \"q\"\\x0a<&> \\xff end");
        else if (ps->pid == 100)
            assert_string_equal(process, "PID 100 ./app --serve");
        else
            assert_string_equal(process, "PID 300");
    }
    assert_int_equal(per_pid[1], 60);
    assert_int_equal(per_pid[2], 40);
    assert_int_equal(per_pid[3], 20);
    for (size_t i = 0; i < pb.nstrings; i++)
        free(pb.strings[i]);
    free(raw);
    free(got);

    /* One process selected: no pid label, as for a recording of one. */
    o.pid = 300;
    got = render(fx, REPORT_PPROF, &o, NULL, &len);
    raw = gunzip(got, len, &raw_len);
    pb_decode(raw, raw_len, &pb);
    assert_int_equal(pb.nsamples, 1);
    assert_int_equal(pb.samples[0].pid, 0);
    assert_int_equal(pb.samples[0].tid, 301);
    for (size_t i = 0; i < pb.nstrings; i++)
        free(pb.strings[i]);
    free(raw);
    free(got);
}

/* chrome and gecko: each thread under its own process's pid. */
static void
procs_chrome_gecko(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    size_t len;
    char *got = render(fx, REPORT_CHROME, &o, "procs.chrome.json", &len);
    assert_json(got, len);
    assert_non_null(strstr(got, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":200,\"tid\":200,"
                                "\"args\":{\"name\":\"worker;1 \\\"q\\\"\\n<&> \\ufffd end\"}}"));
    assert_non_null(strstr(got, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":300,\"tid\":300,"
                                "\"args\":{\"name\":\"PID 300\"}}"));
    assert_non_null(strstr(got, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":300,\"tid\":301,"));
    assert_non_null(strstr(got, "{\"name\":\"spin\",\"cat\":\"native\",\"ph\":\"X\",\"ts\":"));
    assert_non_null(
        strstr(got, ",\"pid\":200,\"tid\":200,\"args\":{\"file\":\"/src/app/worker.c\""));
    assert_null(strstr(got, ",\"pid\":100,\"tid\":200"));
    assert_null(strstr(got, ",\"pid\":100,\"tid\":301"));
    assert_int_equal(count_of(got, "\"process_name\""), 3);
    free(got);

    got = render(fx, REPORT_GECKO, &o, "procs.gecko.json", &len);
    assert_json(got, len);
    assert_non_null(strstr(got, "\"product\":\"spytop: PID 100 ./app --serve and 2 other "
                                "processes\""));
    assert_non_null(strstr(got, "{\"name\":\"w-main\",\"isMainThread\":true,"));
    assert_non_null(strstr(got, "\"pid\":\"200\",\"tid\":200,\"processType\":\"default\","
                                "\"processName\":\"worker;1 \\\"q\\\"\\n<&> \\ufffd end\""));
    assert_non_null(strstr(got, "\"pid\":\"300\",\"tid\":301,\"processType\":\"default\","
                                "\"processName\":\"PID 300\""));
    /* The header's main thread first. */
    assert_true(strstr(got, "{\"name\":\"main\",\"isMainThread\":true,") <
                strstr(got, "{\"name\":\"w-main\","));
    free(got);
}

/* svg: a box per process under "all", titled by the recording. */
static void
procs_svg(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    char *got = render(fx, REPORT_SVG, &o, "procs.svg", NULL);
    assert_non_null(strstr(got, ">Flame graph: PID 100 ./app --serve and 2 other processes<"));
    assert_non_null(strstr(got, "<title>PID 200 worker;1 &quot;q&quot;"));
    assert_non_null(strstr(got, "<title>PID 300\n20 samples"));
    free(got);
}

/* A long command line is cut past REPORT_COMMAND_MAX bytes, before a
 * UTF-8 sequence rather than inside one, in a root frame. */
static void
procs_long_command(void **state)
{
    Fixture *fx = *state;
    char path[600];
    snprintf(path, sizeof(path), "%s/long.spytop", fx->dir);
    /* 159 bytes of 'x', then "é" (2 bytes) straddling byte 160, then more. */
    char command[400];
    memset(command, 'x', 159);
    strcpy(command + 159, "\xc3\xa9 tail of a long command line that goes on and on");
    Symtab *st = Symtab_new();
    FrameId f = unit_frame(st, "f", "f.c", "/bin/x", 1, FRAME_NATIVE);
    StackId stack = Symtab_intern_stack(st, &f, 1);
    RecHeader h = {.pid = 1,
                   .command = "one",
                   .exe = "/bin/x",
                   .host = "h",
                   .start_mono_ns = START_MONO,
                   .rate_hz = 100};
    char *cause = NULL;
    RecWriter *w = RecWriter_open(path, false, &h, &cause);
    assert_non_null(w);
    assert_int_equal(RecWriter_process(w, 2, command, START_MONO), 0);
    for (pid_t pid = 1; pid <= 2; pid++) {
        Sample smp = {.t_ns = START_MONO + 1000,
                      .pid = pid,
                      .tid = pid,
                      .state = 'R',
                      .status = SAMPLE_OK,
                      .stack = stack};
        assert_int_equal(RecWriter_add_sample(w, st, &smp), 0);
    }
    assert_int_equal(RecWriter_close(w, &cause), 0);
    Symtab_delete(st);
    Symtab *rst = Symtab_new();
    RecReader *r = RecReader_open(path, rst, &cause);
    assert_non_null(r);
    char *label = Report_process_label(r, rst, 2);
    char want[200] = "PID 2 ";
    memset(want + 6, 'x', 159);
    strcpy(want + 6 + 159, "...");
    assert_string_equal(label, want);
    free(label);
    label = Report_process_label(r, rst, 1);
    assert_string_equal(label, "PID 1 one");
    free(label);
    RecReader_delete(r);
    Symtab_delete(rst);
    unlink(path);
}

/* A PID the recording does not hold: an error naming those it holds,
 * and no output file. */
static void
procs_unknown_pid(void **state)
{
    Fixture *fx = *state;
    char *message = RecReader_no_process(fx->reader, "procs.spytop", 999);
    assert_non_null(message);
    assert_string_equal(message, "procs.spytop holds no process 999: it holds PIDs 100, 200 and "
                                 "300 (--pid PID selects one)");
    free(message);
    assert_null(RecReader_no_process(fx->reader, "procs.spytop", 300));
    char *out = xasprintf("%s/out.folded", fx->dir);
    ExportOptions eo = {.format = REPORT_COLLAPSED, .output = out};
    ReportOptions_init(&eo.report);
    eo.report.pid = 999;
    assert_int_equal(Export_run(fx->path, &eo, NULL), EXIT_FATAL);
    assert_int_equal(access(out, F_OK), -1);
    eo.report.pid = 200;
    assert_int_equal(Export_run(fx->path, &eo, NULL), EXIT_OK);
    assert_int_equal(unlink(out), 0);
    free(out);
}

/* ---- errors and names ---------------------------------------------------- */

static void
write_errors_reported(void **state)
{
    Fixture *fx = *state;
    ReportOptions o = defaults();
    for (ReportFormat f = REPORT_TEXT; f <= REPORT_SVG; f++) {
        FILE *out = fopen("/dev/full", "w");
        if (!out) {
            diag("no /dev/full");
            skip();
        }
        int rc = Report_write(f, fx->reader, fx->symtab, &o, out);
        if (rc != -ENOSPC)
            FAIL("%s: %d, want -ENOSPC", Report_format_name(f), rc);
        fclose(out);
    }
}

static void
format_names(void **state)
{
    (void)state;
    ReportFormat f;
    assert_true(Report_parse_format("folded", &f));
    assert_int_equal(f, REPORT_COLLAPSED);
    assert_true(Report_parse_format("flamegraph", &f));
    assert_int_equal(f, REPORT_SVG);
    assert_true(Report_parse_format("chrometrace", &f)); /* py-spy's name */
    assert_int_equal(f, REPORT_CHROME);
    assert_true(Report_parse_format("firefox", &f));
    assert_int_equal(f, REPORT_GECKO);
    const char *names[] = {"text", "collapsed", "speedscope", "pprof", "svg", "chrome", "gecko"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        assert_true(Report_parse_format(names[i], &f));
        assert_string_equal(Report_format_name(f), names[i]);
    }
    assert_false(Report_parse_format("raw", &f));
    assert_false(Report_parse_format("", &f));
}

/* record's direct formats: -f first, else the output's name, else the
 * recording; an unknown -f or a bare .json is a usage error. */
static void
record_direct_formats(void **state)
{
    (void)state;
    static const struct {
        const char *format, *output;
        bool direct;
        ReportFormat want;
    } cases[] = {
        {NULL, NULL, false, 0},
        {NULL, "run.spytop", false, 0},
        {NULL, "/dev/null", false, 0},
        {NULL, "profile", false, 0},
        {NULL, "dir.svg/profile", false, 0},
        {NULL, ".svg", false, 0},
        {NULL, "out/.svg", false, 0},
        {NULL, "profile.svg", true, REPORT_SVG},
        {NULL, "PROFILE.SVG", true, REPORT_SVG},
        {NULL, "p.speedscope.json", true, REPORT_SPEEDSCOPE},
        {NULL, "p.chrome.json", true, REPORT_CHROME},
        {NULL, "p.gecko.json", true, REPORT_GECKO},
        {NULL, "p.pb.gz", true, REPORT_PPROF},
        {NULL, "p.pb", true, REPORT_PPROF},
        {NULL, "p.pprof", true, REPORT_PPROF},
        {NULL, "p.folded", true, REPORT_COLLAPSED},
        {NULL, "p.collapsed", true, REPORT_COLLAPSED},
        {NULL, "p.txt", true, REPORT_TEXT},
        {"svg", NULL, true, REPORT_SVG},
        {"folded", "p.txt", true, REPORT_COLLAPSED},
        {"chrometrace", "trace.json", true, REPORT_CHROME},
        {"spytop", "p.svg", false, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ReportFormat f = REPORT_TEXT;
        bool direct = !cases[i].direct;
        char *error = NULL;
        if (RecordDirect_choose(cases[i].format, cases[i].output, &f, &direct, &error) != 0)
            FAIL("case #%zu (%s, %s): error %s", i, cases[i].format, cases[i].output, error);
        if (direct != cases[i].direct || (direct && f != cases[i].want))
            FAIL("case #%zu (%s, %s): direct %d format %d", i, cases[i].format, cases[i].output,
                 (int)direct, (int)f);
        if (direct) {
            /* The default name's suffix says the format again. */
            ReportFormat back;
            bool again;
            char *name = xasprintf("spytop-1-x%s", RecordDirect_suffix(f));
            assert_int_equal(RecordDirect_choose(NULL, name, &back, &again, &error), 0);
            assert_true(again);
            assert_int_equal(back, f);
            free(name);
        }
    }
    char *error = NULL;
    ReportFormat f;
    bool direct;
    assert_int_equal(RecordDirect_choose("bogus", "p.svg", &f, &direct, &error), -1);
    assert_non_null(strstr(error, "unknown --format 'bogus'"));
    const char *formats[] = {"spytop", "text", "collapsed", "speedscope",
                             "pprof",  "svg",  "chrome",    "gecko"};
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
        if (!strstr(error, formats[i]))
            FAIL("the message for -f bogus does not name %s: %s", formats[i], error);
    free(error);
    error = NULL;
    assert_int_equal(RecordDirect_choose(NULL, "profile.json", &f, &direct, &error), -1);
    assert_non_null(strstr(error, "-f speedscope, chrome or gecko"));
    free(error);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(collapsed_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(collapsed_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(text_hot_list, setup, teardown),
        cmocka_unit_test_setup_teardown(text_shares_are_sample_shares, setup, teardown),
        cmocka_unit_test_setup_teardown(speedscope_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(speedscope_time_axis, setup, teardown),
        cmocka_unit_test_setup_teardown(pprof_decodes, setup, teardown),
        cmocka_unit_test_setup_teardown(chrome_events, setup, teardown),
        cmocka_unit_test_setup_teardown(gecko_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(svg_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(svg_ignores_numeric_locale, setup, teardown),
        cmocka_unit_test_setup_teardown(write_errors_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(procs_collapsed, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_text, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_speedscope, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_pprof, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_chrome_gecko, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_svg, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_unknown_pid, setup_procs, teardown),
        cmocka_unit_test_setup_teardown(procs_long_command, setup_procs, teardown),
        cmocka_unit_test(format_names),
        cmocka_unit_test(record_direct_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
