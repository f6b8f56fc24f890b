/* The aggregator under thread churn: retiring threads keeps its tables
 * bounded and the all-thread figures whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aggregator.h"
#include "sample.h"
#include "symtab.h"
#include "unit.h"

#define MS (1000ull * 1000)

/* 60 s of samples at 1 kHz, each thread sampled 10 times (10 ms) and gone:
 * 6000 threads in all, as a pool that keeps replacing its workers. */
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
    size_t most = 0;
    for (size_t i = 0; i < total; i++) {
        uint64_t t = 1000 * MS + i * MS;
        Sample s = {.t_ns = t, .tid = (pid_t)(100000 + i / 10), .state = 'R', .stack = stack};
        Aggregator_add(agg, &s, MS);
        if (i % 2000 == 1999) {
            Aggregator_advance(agg, t);
            Aggregator_retire_threads(agg, t);
        }
        if (Aggregator_thread_count(agg) > most)
            most = Aggregator_thread_count(agg);
    }
    /* At most the last 10 s of threads (1000, and the one on the edge),
     * 2 s between passes (200) and the row of exited threads: 1202. */
    diag("most threads kept: %zu of 6000", most);
    if (most > 1000 + 1 + 200 + 1)
        FAIL("%zu threads kept: retiring does not bound the table", most);
    AggQuery q = {.mode = AGG_BY_FUNCTION, .window_s = 5, .cumulative = true};
    const AggRow *rows;
    AggTotals totals;
    size_t n = Aggregator_query(agg, &q, &rows, &totals);
    if (totals.samples != total)
        FAIL("cumulative samples %llu, expected %zu", (unsigned long long)totals.samples, total);
    if (n < 1 || rows[0].own_ns != total * MS)
        FAIL("work's own time %llu ns, expected %llu",
             n ? (unsigned long long)rows[0].own_ns : 0ull, (unsigned long long)(total * MS));
    Aggregator_delete(agg);
    Symtab_delete(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churn_is_bounded_and_totals_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
