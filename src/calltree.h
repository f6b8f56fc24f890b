/* The top-down call tree of a query's window, as perf report draws it: a
 * node per call path from the thread's start, with the samples that
 * passed through it (total) and that ended in it (self); children sorted
 * hottest first. Derived from the aggregator's stacks; holds ids only. */
#ifndef SPYTOP_SRC_CALLTREE_H
#define SPYTOP_SRC_CALLTREE_H

#include <stddef.h>
#include <stdint.h>

#include "aggregator.h"
#include "hashindex.h"
#include "symtab.h"

#define CALLTREE_NONE UINT32_MAX

typedef struct CallNode {
    uint64_t key; /* the function's row key (AGG_BY_FUNCTION); 0 at the root */
    StrId function, module;
    uint32_t parent, first_child, next_sibling; /* CALLTREE_NONE: none */
    uint32_t depth;                             /* the root's children: 0 */
    uint64_t total, self;                       /* samples in the window */
    uint64_t path; /* the call path's hash: the same node in the next build */
} CallNode;

/* Embedded, zero-initialised; CallTree_done frees it. Node 0 is the root
 * (every sample), once built. */
typedef struct CallTree {
    CallNode *nodes;
    size_t count, cap;
    /* Internal. */
    const Aggregator *agg;
    const Symtab *symtab;
    HashIndex index;
} CallTree;

/* Builds the tree of q's window; replaces what t held. */
void CallTree_build(CallTree *t, const Aggregator *agg, const Symtab *symtab, const AggQuery *q);
void CallTree_done(CallTree *t);

#endif
