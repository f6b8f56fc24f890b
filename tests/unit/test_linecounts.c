/* Per-line counts of one function: own and total per line, once per stack
 * under recursion, only the function's own file, whoever's key asks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregator.h"
#include "linecounts.h"
#include "sample.h"
#include "symtab.h"
#include "unit.h"

#define MS (1000ull * 1000)

static void
add(Aggregator *agg, Symtab *st, const FrameId *frames, size_t n, size_t times, uint64_t *t)
{
    StackId stack = Symtab_intern_stack(st, frames, n);
    for (size_t i = 0; i < times; i++, *t += MS) {
        Sample s = {.t_ns = *t, .tid = 7, .state = 'R', .stack = stack};
        Aggregator_add(agg, &s, MS);
    }
}

static const LineCount *
line_of(const LineCounts *lc, uint32_t line)
{
    for (size_t i = 0; i < lc->count; i++)
        if (lc->lines[i].line == line)
            return &lc->lines[i];
    return NULL;
}

static void
lines_of_one_function(void **state)
{
    (void)state;
    Symtab *st = Symtab_new();
    Aggregator *agg = Aggregator_new(st);
    FrameId work_loop = unit_frame(st, "work", "w.c", "app", 12, FRAME_NATIVE);
    FrameId work_call = unit_frame(st, "work", "w.c", "app", 14, FRAME_NATIVE);
    FrameId work_macro = unit_frame(st, "work", "m.h", "app", 3, FRAME_NATIVE);
    FrameId helper = unit_frame(st, "helper", "w.c", "app", 40, FRAME_NATIVE);
    FrameId other = unit_frame(st, "other", "w.c", "app", 60, FRAME_NATIVE);
    FrameId main_call = unit_frame(st, "main", "w.c", "app", 80, FRAME_NATIVE);
    uint64_t t = 1000 * MS;
    /* 50 running line 12; 30 in helper called from line 14; 10 in work
     * recursing through line 14 twice (counted once); 5 in a macro's file;
     * 5 elsewhere entirely. */
    add(agg, st, (FrameId[]){work_loop, main_call}, 2, 50, &t);
    add(agg, st, (FrameId[]){helper, work_call, main_call}, 3, 30, &t);
    add(agg, st, (FrameId[]){work_loop, work_call, work_call, main_call}, 4, 10, &t);
    add(agg, st, (FrameId[]){work_macro, main_call}, 2, 5, &t);
    add(agg, st, (FrameId[]){other, main_call}, 2, 5, &t);
    Aggregator_advance(agg, t);
    AggQuery q = {.mode = AGG_BY_LINE, .window_s = 5};
    const AggRow *rows;
    AggTotals totals;
    size_t n = Aggregator_query(agg, &q, &rows, &totals);
    uint64_t key = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].line == 40)
            key = rows[i].key;
    if (!key)
        FAIL("no row for helper's line");
    /* Asked with helper's line key: helper's lines. */
    LineCounts lc = {0};
    LineCounts_build(&lc, agg, st, &q, key);
    if (lc.count != 1 || lc.lines[0].line != 40 || lc.lines[0].total != 30 || lc.window != 100)
        FAIL("helper: %zu lines, window %llu", lc.count, (unsigned long long)lc.window);
    /* work, asked by any of its lines' keys. */
    for (size_t i = 0; i < n; i++)
        if (rows[i].line == 14)
            key = rows[i].key;
    LineCounts_build(&lc, agg, st, &q, key);
    if (strcmp(Symtab_string(st, lc.file), "w.c") != 0)
        FAIL("work's file %s, expected w.c", Symtab_string(st, lc.file));
    if (lc.function != 95 || lc.window != 100)
        FAIL("work on %llu of %llu stacks, expected 95 of 100", (unsigned long long)lc.function,
             (unsigned long long)lc.window);
    const LineCount *l12 = line_of(&lc, 12), *l14 = line_of(&lc, 14);
    if (lc.count != 2 || !l12 || !l14)
        FAIL("work: %zu lines in w.c, expected 12 and 14", lc.count);
    if (l12->own != 60 || l12->total != 60)
        FAIL("line 12: own %llu total %llu, expected 60 60", (unsigned long long)l12->own,
             (unsigned long long)l12->total);
    if (l14->own != 0 || l14->total != 40)
        FAIL("line 14: own %llu total %llu, expected 0 40 (recursion once)",
             (unsigned long long)l14->own, (unsigned long long)l14->total);
    if (lc.lines[0].line != 12)
        FAIL("lines not in order");
    LineCounts_done(&lc);
    Aggregator_delete(agg);
    Symtab_delete(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_of_one_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
