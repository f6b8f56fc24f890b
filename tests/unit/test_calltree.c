/* The top-down call tree: one node per call path, totals and selves,
 * children hottest first, the same node (path) from build to build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregator.h"
#include "calltree.h"
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

static const char *
name(const Symtab *st, const CallTree *t, uint32_t node)
{
    return node == CALLTREE_NONE ? "(none)" : Symtab_string(st, t->nodes[node].function);
}

static void
paths_totals_and_order(void **state)
{
    (void)state;
    Symtab *st = Symtab_new();
    Aggregator *agg = Aggregator_new(st);
    FrameId main_a = unit_frame(st, "main", "m.c", "app", 5, FRAME_NATIVE);
    FrameId main_b = unit_frame(st, "main", "m.c", "app", 6, FRAME_NATIVE);
    FrameId a = unit_frame(st, "a", "m.c", "app", 10, FRAME_NATIVE);
    FrameId b = unit_frame(st, "b", "m.c", "app", 20, FRAME_NATIVE);
    FrameId leaf = unit_frame(st, "leaf", "m.c", "app", 30, FRAME_NATIVE);
    uint64_t t = 1000 * MS;
    /* main > a > leaf 20, main > b > leaf 50 (b from another line of main:
     * still one main node), main > b 10, main 5. */
    add(agg, st, (FrameId[]){leaf, a, main_a}, 3, 20, &t);
    add(agg, st, (FrameId[]){leaf, b, main_b}, 3, 50, &t);
    add(agg, st, (FrameId[]){b, main_b}, 2, 10, &t);
    add(agg, st, (FrameId[]){main_a}, 1, 5, &t);
    Aggregator_advance(agg, t);
    AggQuery q = {.mode = AGG_BY_FUNCTION, .window_s = 5};
    CallTree tree = {0};
    CallTree_build(&tree, agg, st, &q);
    if (tree.count != 6 || tree.nodes[0].total != 85)
        FAIL("%zu nodes, root %llu; expected 6 and 85", tree.count,
             (unsigned long long)tree.nodes[0].total);
    uint32_t m = tree.nodes[0].first_child;
    if (strcmp(name(st, &tree, m), "main") || tree.nodes[m].next_sibling != CALLTREE_NONE ||
        tree.nodes[m].total != 85 || tree.nodes[m].self != 5 || tree.nodes[m].depth != 0)
        FAIL("the root's child: %s", name(st, &tree, m));
    uint32_t first = tree.nodes[m].first_child;
    uint32_t second = tree.nodes[first].next_sibling;
    if (strcmp(name(st, &tree, first), "b") || strcmp(name(st, &tree, second), "a") ||
        tree.nodes[second].next_sibling != CALLTREE_NONE)
        FAIL("main's children %s, %s: expected b then a", name(st, &tree, first),
             name(st, &tree, second));
    if (tree.nodes[first].total != 60 || tree.nodes[first].self != 10 ||
        tree.nodes[second].total != 20 || tree.nodes[second].self != 0 ||
        tree.nodes[first].depth != 1)
        FAIL("b %llu/%llu, a %llu/%llu; expected 60/10 and 20/0",
             (unsigned long long)tree.nodes[first].total,
             (unsigned long long)tree.nodes[first].self,
             (unsigned long long)tree.nodes[second].total,
             (unsigned long long)tree.nodes[second].self);
    uint32_t leaf_b = tree.nodes[first].first_child, leaf_a = tree.nodes[second].first_child;
    if (tree.nodes[leaf_b].total != 50 || tree.nodes[leaf_a].total != 20 ||
        tree.nodes[leaf_b].path == tree.nodes[leaf_a].path)
        FAIL("leaf under b and under a: two nodes with paths of their own");
    /* Built again: the same paths. */
    uint64_t path = tree.nodes[leaf_b].path;
    CallTree_build(&tree, agg, st, &q);
    bool found = false;
    for (size_t i = 0; i < tree.count; i++)
        found |= tree.nodes[i].path == path && tree.nodes[i].total == 50;
    if (!found)
        FAIL("main > b > leaf's path changed from one build to the next");
    CallTree_done(&tree);
    Aggregator_delete(agg);
    Symtab_delete(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_totals_and_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
