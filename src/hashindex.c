#include "config.h"

#include "hashindex.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HASHINDEX_MIN_CAP 64

static size_t
home(uint64_t key, size_t cap)
{
    return Util_mix64(key) & (cap - 1);
}

static void
grow(HashIndex *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : HASHINDEX_MIN_CAP;
    HashIndexSlot *slots = xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->slots[i].id1)
            continue;
        size_t j = home(ix->slots[i].key, cap);
        while (slots[j].id1)
            j = (j + 1) & (cap - 1);
        slots[j] = ix->slots[i];
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
}

/* The slot holding key's id, or the empty slot where it belongs. */
static size_t
probe(const HashIndex *ix, uint64_t key, HashIndexEqual equal, const void *ctx)
{
    size_t mask = ix->cap - 1;
    size_t j = home(key, ix->cap);
    for (;;) {
        const HashIndexSlot *s = &ix->slots[j];
        if (!s->id1 || (s->key == key && (!equal || equal(ctx, s->id1 - 1))))
            return j;
        j = (j + 1) & mask;
    }
}

uint32_t
HashIndex_find(const HashIndex *ix, uint64_t key, HashIndexEqual equal, const void *ctx)
{
    if (!ix->cap)
        return HASHINDEX_NONE;
    return ix->slots[probe(ix, key, equal, ctx)].id1 - 1; /* empty: 0 - 1 is NONE */
}

uint32_t
HashIndex_intern(HashIndex *ix, uint64_t key, uint32_t new_id, HashIndexEqual equal,
                 const void *ctx)
{
    if ((ix->count + 1) * 2 > ix->cap)
        grow(ix);
    HashIndexSlot *s = &ix->slots[probe(ix, key, equal, ctx)];
    if (s->id1)
        return s->id1 - 1;
    s->key = key;
    s->id1 = new_id + 1;
    ix->count++;
    return new_id;
}

void
HashIndex_add(HashIndex *ix, uint64_t key, uint32_t id)
{
    if ((ix->count + 1) * 2 > ix->cap)
        grow(ix);
    size_t mask = ix->cap - 1;
    size_t j = home(key, ix->cap);
    while (ix->slots[j].id1)
        j = (j + 1) & mask;
    ix->slots[j] = (HashIndexSlot){key, id + 1};
    ix->count++;
}

void
HashIndex_clear(HashIndex *ix)
{
    if (ix->slots)
        memset(ix->slots, 0, ix->cap * sizeof(*ix->slots));
    ix->count = 0;
}

void
HashIndex_done(HashIndex *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->cap = ix->count = 0;
}
