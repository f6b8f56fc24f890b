#include "config.h"

#include "linecounts.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static LineCount *
entry(LineCounts *lc, StrId file, uint32_t line)
{
    uint64_t key = ((uint64_t)file << 32) | line;
    uint32_t j = HashIndex_intern(&lc->index, key, (uint32_t)lc->count, NULL, NULL);
    if (j == lc->count) {
        lc->lines = xgrow(lc->lines, &lc->cap, lc->count + 1, sizeof(LineCount));
        lc->lines[lc->count++] = (LineCount){file, line, 0, 0, 0};
    }
    return &lc->lines[j];
}

static void
count_stack(void *arg, StackId stack, uint64_t count)
{
    LineCounts *lc = arg;
    size_t depth;
    const FrameId *frames = Symtab_stack(lc->symtab, stack, &depth);
    lc->window += count;
    lc->stamp++;
    bool holds = false;
    for (size_t i = 0; i < depth; i++) {
        if (!Aggregator_key_holds(lc->agg, lc->key, frames[i]))
            continue;
        holds = true;
        const SymtabFrame *f = Symtab_frame(lc->symtab, frames[i]);
        LineCount *e = entry(lc, f->file, f->line);
        if (i == 0)
            e->own += count;
        if (e->stamp != lc->stamp) {
            e->stamp = lc->stamp; /* recursion: once per stack */
            e->total += count;
        }
    }
    if (holds)
        lc->function += count;
}

static int
compare_lines(const void *pa, const void *pb)
{
    const LineCount *a = pa, *b = pb;
    return (a->line > b->line) - (a->line < b->line);
}

void
LineCounts_build(LineCounts *lc, const Aggregator *agg, const Symtab *symtab, const AggQuery *q,
                 uint64_t key)
{
    lc->count = 0;
    lc->window = lc->function = 0;
    lc->file = SYMTAB_EMPTY;
    HashIndex_clear(&lc->index);
    lc->agg = agg;
    lc->symtab = symtab;
    lc->key = Aggregator_function_key(agg, key);
    if (!lc->key)
        return;
    Aggregator_each_stack(agg, q, count_stack, lc);
    /* The file with the most samples: its lines stay. A function's frames
     * are in one file but for the odd macro or #line. */
    HashIndex files = {0};
    uint64_t *sums = NULL;
    size_t nfiles = 0, cap = 0, best = SIZE_MAX;
    StrId *ids = NULL;
    size_t ids_cap = 0;
    for (size_t i = 0; i < lc->count; i++) {
        const LineCount *e = &lc->lines[i];
        if (e->file == SYMTAB_EMPTY)
            continue;
        uint32_t j = HashIndex_intern(&files, e->file, (uint32_t)nfiles, NULL, NULL);
        if (j == nfiles) {
            sums = xgrow(sums, &cap, nfiles + 1, sizeof(*sums));
            ids = xgrow(ids, &ids_cap, nfiles + 1, sizeof(*ids));
            sums[nfiles] = 0;
            ids[nfiles++] = e->file;
        }
        sums[j] += e->total;
        if (best == SIZE_MAX || sums[j] > sums[best])
            best = j;
    }
    if (best != SIZE_MAX)
        lc->file = ids[best];
    size_t kept = 0;
    for (size_t i = 0; i < lc->count; i++) {
        if (lc->lines[i].file == lc->file && lc->file != SYMTAB_EMPTY)
            lc->lines[kept++] = lc->lines[i];
    }
    lc->count = kept;
    HashIndex_clear(&lc->index); /* the entries moved */
    if (kept > 1)
        qsort(lc->lines, kept, sizeof(LineCount), compare_lines);
    free(sums);
    free(ids);
    HashIndex_done(&files);
}

void
LineCounts_done(LineCounts *lc)
{
    free(lc->lines);
    HashIndex_done(&lc->index);
    memset(lc, 0, sizeof(*lc));
}
