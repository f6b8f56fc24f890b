/* Per-line sample counts of one function in a query's window, for the
 * source view (what line_profiler shows): own (the line is the innermost
 * frame) and total (the line is on the stack, once per stack), in the one
 * file that holds most of the function's samples. Derived from the
 * aggregator's stacks; holds symtab ids only. */
#ifndef SPYTOP_SRC_LINECOUNTS_H
#define SPYTOP_SRC_LINECOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "aggregator.h"
#include "hashindex.h"
#include "symtab.h"

typedef struct LineCount {
    StrId file;
    uint32_t line; /* 0: the function's frames without a line */
    uint64_t own, total;
    uint64_t stamp; /* internal: the last stack counted */
} LineCount;

/* Embedded, zero-initialised; LineCounts_done frees it. */
typedef struct LineCounts {
    StrId file;       /* SYMTAB_EMPTY: no line information at all */
    LineCount *lines; /* lines of `file`, by line number; count of them */
    size_t count, cap;
    uint64_t window;   /* samples the query counts: the percentages' whole */
    uint64_t function; /* of which the function is on the stack */
    /* Internal. */
    const Aggregator *agg;
    const Symtab *symtab;
    uint64_t key, stamp;
    HashIndex index;
} LineCounts;

/* Counts the lines of the function of row key `key` (either mode) over
 * q's window; replaces what lc held. */
void LineCounts_build(LineCounts *lc, const Aggregator *agg, const Symtab *symtab,
                      const AggQuery *q, uint64_t key);
void LineCounts_done(LineCounts *lc);

#endif
