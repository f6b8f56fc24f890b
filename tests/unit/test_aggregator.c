/* The aggregator under thread churn: retiring threads keeps its tables
 * bounded and the all-thread figures whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregator.h"
#include "sample.h"
#include "symtab.h"
#include "unit.h"

#define MS (1000ull * 1000)

/* 60 s of samples at 1 kHz, each thread sampled 10 times (10 ms) and gone:
 * 6000 threads in all, as a pool that keeps replacing its workers; beside
 * them LIVE threads that live throughout, sampled every 10 ms, and one
 * (STUCK) that lives throughout but is sampled once, at the start (its
 * stops never came in time). */
#define LIVE 5
#define STUCK 50

static bool
thread_kept(Aggregator *agg, pid_t tid, uint64_t *samples)
{
    AggQuery q = {.mode = AGG_BY_FUNCTION, .window_s = 5, .include_idle = true};
    const AggThread *threads;
    size_t count = Aggregator_threads(agg, &q, &threads);
    for (size_t i = 0; i < count; i++) {
        if (threads[i].tid == tid) {
            *samples = threads[i].samples;
            return true;
        }
    }
    return false;
}

static void
churn_is_bounded_and_totals_kept(void **state)
{
    (void)state;
    Symtab *st = Symtab_new();
    Aggregator *agg = Aggregator_new(st);
    FrameId frames[2] = {
        unit_frame(st, "work", "w.c", "app", 1, FRAME_NATIVE),
        unit_frame(st, "thread_main", "w.c", "app", 9, FRAME_NATIVE),
    };
    StackId stack = Symtab_intern_stack(st, frames, 2);
    const size_t total = 60000;
    size_t most = 0, most_entries = 0;
    for (size_t i = 0; i < total; i++) {
        uint64_t t = 1000 * MS + i * MS;
        Sample s = {.t_ns = t, .tid = (pid_t)(100000 + i / 10), .state = 'R', .stack = stack};
        Aggregator_add(agg, &s, MS);
        for (pid_t k = 1; k <= LIVE && i % 10 == 0; k++) {
            Sample live = {.t_ns = t, .tid = k, .state = 'R', .stack = stack};
            Aggregator_add(agg, &live, MS);
        }
        if (i == 0) {
            Sample stuck = {.t_ns = t, .tid = STUCK, .state = 'R', .stack = stack};
            Aggregator_add(agg, &stuck, MS);
        }
        if (i % 2000 == 1999) {
            /* The threads alive now, as a listing of /proc would have it. */
            pid_t listed[LIVE + 2];
            for (pid_t k = 1; k <= LIVE; k++)
                listed[k - 1] = k;
            listed[LIVE] = STUCK;
            listed[LIVE + 1] = s.tid;
            Aggregator_threads_listed(agg, listed, LIVE + 2);
            Aggregator_advance(agg, t);
            Aggregator_retire_threads(agg, t, 100 * MS);
            /* Not sampled for 8 s, but alive: kept, whatever the churn. */
            uint64_t samples = 0;
            if (i == 7999 && (!thread_kept(agg, STUCK, &samples) || samples != 1))
                FAIL("a live thread not sampled for 8 s was retired");
        }
        if (Aggregator_thread_count(agg) > most)
            most = Aggregator_thread_count(agg);
        if (Aggregator_entries(agg) > most_entries)
            most_entries = Aggregator_entries(agg);
    }
    /* Not the last 10 s of threads (1000): at most AGG_QUIET_MAX of the
     * threads gone and not sampled for 100 ms, those sampled in the last
     * 100 ms at a pass (10), the ones born in the 2 s between passes
     * (200), the one sampled now, the row of exited threads and the live
     * ones. */
    size_t bound = AGG_QUIET_MAX + 10 + 200 + 1 + 1 + LIVE + 1;
    diag("most threads kept: %zu of 6000", most);
    if (most > bound)
        FAIL("%zu threads kept (at most %zu): retiring does not bound the table", most, bound);
    /* The same for the counts: one per thread in the cumulative map and
     * one per thread in its bucket (a 60 s window of buckets would hold
     * all 6000 threads' otherwise), but a live thread's in every bucket of
     * the window (240). */
    diag("most counts kept: %zu", most_entries);
    if (most_entries > 2 * bound + 250 + LIVE * 240)
        FAIL("%zu counts kept: retiring does not bound the window's buckets", most_entries);
    AggQuery q = {.mode = AGG_BY_FUNCTION, .window_s = 5, .cumulative = true};
    const AggRow *rows;
    AggTotals totals;
    size_t n = Aggregator_query(agg, &q, &rows, &totals);
    size_t live_each = total / 10, all = total + LIVE * live_each + 1;
    if (totals.samples != all)
        FAIL("cumulative samples %llu, expected %zu", (unsigned long long)totals.samples, all);
    if (n < 1 || rows[0].own_ns != all * MS)
        FAIL("work's own time %llu ns, expected %llu",
             n ? (unsigned long long)rows[0].own_ns : 0ull, (unsigned long long)(all * MS));
    /* The threads that live on keep their rows, whole. */
    for (pid_t k = 1; k <= LIVE; k++) {
        uint64_t samples = 0;
        bool kept = thread_kept(agg, k, &samples);
        if (!kept || samples != live_each)
            FAIL("live thread %d: %s %llu samples, expected %zu", (int)k,
                 kept ? "kept with" : "retired;", (unsigned long long)samples, live_each);
    }
    Aggregator_delete(agg);
    Symtab_delete(st);
}

/* Python functions of one name in two files are two rows (main in app.py
 * and site's main); native ones of one name in one module are one row. */
static void
python_functions_by_file(void **state)
{
    (void)state;
    Symtab *st = Symtab_new();
    Aggregator *agg = Aggregator_new(st);
    FrameId app = unit_frame(st, "main", "app.py", "", 3, FRAME_PYTHON);
    FrameId site = unit_frame(st, "main", "<frozen site>", "", 621, FRAME_PYTHON);
    FrameId app_again = unit_frame(st, "main", "app.py", "", 5, FRAME_PYTHON);
    FrameId stacks[3] = {app, site, app_again};
    for (size_t i = 0; i < 30; i++) {
        StackId stack = Symtab_intern_stack(st, &stacks[i % 3], 1);
        Sample s = {.t_ns = 1000 * MS + i * MS, .tid = 7, .state = 'R', .stack = stack};
        Aggregator_add(agg, &s, MS);
    }
    AggQuery q = {.mode = AGG_BY_FUNCTION, .window_s = 5, .cumulative = true};
    const AggRow *rows;
    AggTotals totals;
    size_t n = Aggregator_query(agg, &q, &rows, &totals);
    if (n != 2)
        FAIL("%zu rows for main in app.py and main in <frozen site>, expected 2", n);
    for (size_t i = 0; i < n; i++) {
        const char *file = Symtab_string(st, rows[i].file);
        uint64_t want = strcmp(file, "app.py") == 0 ? 20 : 10;
        if (rows[i].own_ns != want * MS)
            FAIL("main in %s: own %llu ms, expected %llu", file,
                 (unsigned long long)(rows[i].own_ns / MS), (unsigned long long)want);
    }
    Aggregator_delete(agg);
    Symtab_delete(st);
}

/* A walk's step: a caller's link carries its function's key, and that key
 * asks for the caller's own callers; a line's key stands for that line. */
static void
links_walk_by_key(void **state)
{
    (void)state;
    Symtab *st = Symtab_new();
    Aggregator *agg = Aggregator_new(st);
    FrameId leaf = unit_frame(st, "leaf", "w.c", "app", 3, FRAME_NATIVE);
    FrameId mid_a = unit_frame(st, "mid", "w.c", "app", 10, FRAME_NATIVE);
    FrameId mid_b = unit_frame(st, "mid", "w.c", "app", 11, FRAME_NATIVE);
    FrameId top = unit_frame(st, "top", "w.c", "app", 20, FRAME_NATIVE);
    FrameId other = unit_frame(st, "other", "w.c", "app", 30, FRAME_NATIVE);
    FrameId a[3] = {leaf, mid_a, top}, b[3] = {leaf, mid_b, other};
    StackId sa = Symtab_intern_stack(st, a, 3), sb = Symtab_intern_stack(st, b, 3);
    for (size_t i = 0; i < 40; i++) {
        /* 30 through line 10 from top, 10 through line 11 from other. */
        Sample s = {.t_ns = 1000 * MS + i * MS, .tid = 7, .state = 'R', .stack = i % 4 ? sa : sb};
        Aggregator_add(agg, &s, MS);
    }
    Aggregator_advance(agg, 1040 * MS);
    AggQuery q = {.mode = AGG_BY_FUNCTION, .window_s = 5};
    const AggRow *rows;
    AggTotals totals;
    size_t n = Aggregator_query(agg, &q, &rows, &totals);
    if (n < 1 || strcmp(Symtab_string(st, rows[0].function), "leaf") != 0)
        FAIL("leaf is not the first row");
    const AggLink *up, *down;
    size_t nup, ndown;
    Aggregator_links(agg, &q, rows[0].key, &up, &nup, &down, &ndown);
    if (nup != 1 || up[0].samples != 40 || up[0].key == 0)
        FAIL("leaf's callers: %zu, expected mid with 40 samples and a key", nup);
    uint64_t mid = up[0].key;
    Aggregator_links(agg, &q, mid, &up, &nup, &down, &ndown);
    if (nup != 2 || up[0].samples != 30 || strcmp(Symtab_string(st, up[0].function), "top") ||
        up[1].samples != 10 || strcmp(Symtab_string(st, up[1].function), "other"))
        FAIL("mid's callers: %zu, expected top 30 and other 10", nup);
    if (ndown != 1 || down[0].samples != 40 || strcmp(Symtab_string(st, down[0].function), "leaf"))
        FAIL("mid's callees: %zu, expected leaf 40", ndown);
    /* The same walk from a line: mid at line 11 has only other above it. */
    q.mode = AGG_BY_LINE;
    n = Aggregator_query(agg, &q, &rows, &totals);
    uint64_t line11 = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].line == 11)
            line11 = rows[i].key;
    if (!line11 || Aggregator_function_key(agg, line11) != mid)
        FAIL("line 11's function key is not mid's");
    Aggregator_links(agg, &q, line11, &up, &nup, &down, &ndown);
    if (nup != 1 || up[0].samples != 10 || strcmp(Symtab_string(st, up[0].function), "other"))
        FAIL("mid:11's callers: %zu, expected other 10", nup);
    Aggregator_delete(agg);
    Symtab_delete(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churn_is_bounded_and_totals_kept),
        cmocka_unit_test(python_functions_by_file),
        cmocka_unit_test(links_walk_by_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
