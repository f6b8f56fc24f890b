/* Unit tests for src/hashindex.c: keys to dense ids, found again after the
 * index grows, told apart by the caller's equality when keys collide. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "hashindex.h"

/* A deterministic generator, so a failure reproduces. */
static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void
empty_finds_nothing(void **state)
{
    (void)state;
    HashIndex ix = {0};
    assert_int_equal(HashIndex_count(&ix), 0);
    assert_int_equal(HashIndex_find(&ix, 0, NULL, NULL), HASHINDEX_NONE);
    assert_int_equal(HashIndex_find(&ix, 42, NULL, NULL), HASHINDEX_NONE);
    HashIndex_clear(&ix);
    HashIndex_done(&ix);
    HashIndex_done(&ix);
    assert_int_equal(HashIndex_find(&ix, 42, NULL, NULL), HASHINDEX_NONE);
}

/* Integer keys, the whole identity: 0 and all-ones are keys like any other. */
static void
integer_keys_survive_growth(void **state)
{
    (void)state;
    enum { N = 100000 };
    uint64_t *keys = malloc(N * sizeof(*keys));
    assert_non_null(keys);
    HashIndex ix = {0};
    uint64_t x = 88172645463325252ull;
    keys[0] = 0;
    keys[1] = UINT64_MAX;
    keys[2] = 1;
    for (size_t i = 3; i < N; i++)
        keys[i] = i % 2 ? next_random(&x) : (uint64_t)i << 32; /* low bits all zero */
    for (size_t i = 0; i < N; i++) {
        uint32_t id = HashIndex_intern(&ix, keys[i], (uint32_t)i, NULL, NULL);
        if (id != i)
            FAIL("key %zu (%#llx) got id %u, a duplicate?", i, (unsigned long long)keys[i], id);
    }
    assert_int_equal(HashIndex_count(&ix), N);
    for (size_t i = 0; i < N; i++) {
        uint32_t id = HashIndex_find(&ix, keys[i], NULL, NULL);
        if (id != i)
            FAIL("key %zu found as %u after growth", i, id);
        /* Interning again gives the first id and adds nothing. */
        assert_int_equal(HashIndex_intern(&ix, keys[i], N + 7, NULL, NULL), i);
    }
    assert_int_equal(HashIndex_count(&ix), N);
    /* Keys never added. */
    assert_int_equal(HashIndex_find(&ix, 2, NULL, NULL), HASHINDEX_NONE);
    assert_int_equal(HashIndex_find(&ix, UINT64_MAX - 1, NULL, NULL), HASHINDEX_NONE);
    assert_int_equal(HashIndex_find(&ix, (uint64_t)(N + 2) << 32, NULL, NULL), HASHINDEX_NONE);
    /* The load stays at most 1/2, and the table is no bigger than needed. */
    assert_true(ix.cap >= 2 * HashIndex_count(&ix));
    assert_true(ix.cap <= 4 * HashIndex_count(&ix));
    HashIndex_done(&ix);
    free(keys);
}

/* The caller's elements: strings whose "hash" is deliberately poor, so
 * that many share a key and only equal tells them apart. */
typedef struct Names {
    const char *const *names;
    const char *sought;
    unsigned *calls;
} Names;

static bool
name_equal(const void *ctx, uint32_t id)
{
    const Names *n = ctx;
    (*n->calls)++;
    return strcmp(n->names[id], n->sought) == 0;
}

static uint64_t
poor_hash(const char *s)
{
    return (uint64_t)strlen(s); /* "ab" and "cd" collide */
}

static void
colliding_keys_told_apart_by_equal(void **state)
{
    (void)state;
    enum { N = 300 };
    char(*buf)[16] = malloc(N * sizeof(*buf));
    const char **names = malloc(N * sizeof(*names));
    assert_non_null(buf);
    assert_non_null(names);
    for (size_t i = 0; i < N; i++) {
        snprintf(buf[i], sizeof(buf[i]), "n%03zu", i); /* all four bytes: one key */
        names[i] = buf[i];
    }
    HashIndex ix = {0};
    unsigned calls = 0;
    Names ctx = {names, NULL, &calls};
    for (size_t i = 0; i < N; i++) {
        ctx.sought = names[i];
        assert_int_equal(HashIndex_intern(&ix, poor_hash(names[i]), (uint32_t)i, name_equal, &ctx),
                         i);
    }
    for (size_t i = 0; i < N; i++) {
        ctx.sought = names[i];
        assert_int_equal(HashIndex_find(&ix, poor_hash(names[i]), name_equal, &ctx), i);
        assert_int_equal(HashIndex_intern(&ix, poor_hash(names[i]), N, name_equal, &ctx), i);
    }
    assert_int_equal(HashIndex_count(&ix), N);
    ctx.sought = "n999";
    assert_int_equal(HashIndex_find(&ix, poor_hash("n999"), name_equal, &ctx), HASHINDEX_NONE);
    /* Equal is asked only about ids whose key matched: none here. */
    calls = 0;
    ctx.sought = "other";
    assert_int_equal(HashIndex_find(&ix, poor_hash("other"), name_equal, &ctx), HASHINDEX_NONE);
    assert_int_equal(calls, 0);
    HashIndex_done(&ix);
    free(names);
    free(buf);
}

static void
clear_forgets_and_keeps_memory(void **state)
{
    (void)state;
    HashIndex ix = {0};
    for (uint32_t i = 0; i < 1000; i++)
        HashIndex_add(&ix, 1000 + i, i);
    size_t cap = ix.cap;
    assert_int_equal(HashIndex_find(&ix, 1500, NULL, NULL), 500);
    HashIndex_clear(&ix);
    assert_int_equal(HashIndex_count(&ix), 0);
    assert_int_equal(ix.cap, cap);
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(HashIndex_find(&ix, 1000 + i, NULL, NULL), HASHINDEX_NONE);
    /* Ids start over after a clear. */
    assert_int_equal(HashIndex_intern(&ix, 1500, 0, NULL, NULL), 0);
    assert_int_equal(HashIndex_intern(&ix, 1501, 1, NULL, NULL), 1);
    assert_int_equal(HashIndex_find(&ix, 1500, NULL, NULL), 0);
    assert_int_equal(HashIndex_count(&ix), 2);
    HashIndex_done(&ix);
    assert_null(ix.slots);
    assert_int_equal(HashIndex_count(&ix), 0);
    /* Usable again after done. */
    HashIndex_add(&ix, 7, 3);
    assert_int_equal(HashIndex_find(&ix, 7, NULL, NULL), 3);
    HashIndex_done(&ix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_finds_nothing),
        cmocka_unit_test(integer_keys_survive_growth),
        cmocka_unit_test(colliding_keys_told_apart_by_equal),
        cmocka_unit_test(clear_forgets_and_keeps_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
