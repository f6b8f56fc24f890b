#include "config.h"

#include "calltree.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct Lookup {
    const CallTree *t;
    uint32_t parent;
    uint64_t key;
} Lookup;

static bool
same_node(const void *ctx, uint32_t id)
{
    const Lookup *l = ctx;
    const CallNode *n = &l->t->nodes[id];
    return n->parent == l->parent && n->key == l->key;
}

static uint64_t
child_hash(uint64_t parent_path, uint64_t key)
{
    return Util_mix64(parent_path * 0x9e3779b97f4a7c15ull ^ key);
}

static uint32_t
child(CallTree *t, uint32_t parent, FrameId frame)
{
    uint64_t key = Aggregator_frame_function_key(t->agg, frame);
    uint64_t path = child_hash(t->nodes[parent].path, key);
    Lookup l = {t, parent, key};
    uint32_t id = HashIndex_intern(&t->index, path, (uint32_t)t->count, same_node, &l);
    if (id < t->count)
        return id;
    const SymtabFrame *f = Symtab_frame(t->symtab, frame);
    t->nodes = xgrow(t->nodes, &t->cap, t->count + 1, sizeof(CallNode));
    t->nodes[t->count++] = (CallNode){
        .key = key,
        .function = f->function,
        .module = f->module,
        .parent = parent,
        .first_child = CALLTREE_NONE,
        .next_sibling = CALLTREE_NONE,
        .depth = parent ? t->nodes[parent].depth + 1 : 0,
        .path = path,
    };
    return id;
}

static void
add_stack(void *arg, StackId stack, uint64_t count)
{
    CallTree *t = arg;
    size_t depth;
    const FrameId *frames = Symtab_stack(t->symtab, stack, &depth);
    uint32_t node = 0;
    t->nodes[0].total += count;
    for (size_t i = depth; i-- > 0;) {
        node = child(t, node, frames[i]);
        t->nodes[node].total += count;
    }
    t->nodes[node].self += count;
}

/* Children by parent, hottest first. */
static int
compare_children(const void *pa, const void *pb, void *arg)
{
    const CallTree *t = arg;
    const CallNode *a = &t->nodes[*(const uint32_t *)pa], *b = &t->nodes[*(const uint32_t *)pb];
    if (a->parent != b->parent)
        return (a->parent > b->parent) - (a->parent < b->parent);
    if (a->total != b->total)
        return (a->total < b->total) - (a->total > b->total);
    return (a->key > b->key) - (a->key < b->key);
}

void
CallTree_build(CallTree *t, const Aggregator *agg, const Symtab *symtab, const AggQuery *q)
{
    t->agg = agg;
    t->symtab = symtab;
    HashIndex_clear(&t->index);
    t->nodes = xgrow(t->nodes, &t->cap, 1, sizeof(CallNode));
    t->nodes[0] = (CallNode){
        .parent = CALLTREE_NONE, .first_child = CALLTREE_NONE, .next_sibling = CALLTREE_NONE};
    t->count = 1;
    Aggregator_each_stack(agg, q, add_stack, t);
    if (t->count < 2)
        return;
    /* Link each parent's children in order, from the last. */
    size_t n = t->count - 1;
    uint32_t *order = xmalloc(n * sizeof(*order));
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)(i + 1);
    qsort_r(order, n, sizeof(*order), compare_children, t);
    for (size_t i = n; i-- > 0;) {
        CallNode *c = &t->nodes[order[i]];
        CallNode *p = &t->nodes[c->parent];
        c->next_sibling = p->first_child;
        p->first_child = order[i];
    }
    free(order);
}

void
CallTree_done(CallTree *t)
{
    free(t->nodes);
    HashIndex_done(&t->index);
    memset(t, 0, sizeof(*t));
}
