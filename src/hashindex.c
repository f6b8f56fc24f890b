#include "config.h"

#include "hashindex.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HASHINDEX_MIN_CAP 64

void
HashIndex_grow(HashIndex *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : HASHINDEX_MIN_CAP;
    HashIndexSlot *slots = xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->slots[i].id1)
            continue;
        size_t j = Util_mix64(ix->slots[i].key) & (cap - 1);
        while (slots[j].id1)
            j = (j + 1) & (cap - 1);
        slots[j] = ix->slots[i];
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
}

void
HashIndex_add(HashIndex *ix, uint64_t key, uint32_t id)
{
    if ((ix->count + 1) * 2 > ix->cap)
        HashIndex_grow(ix);
    size_t mask = ix->cap - 1;
    size_t j = Util_mix64(key) & mask;
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
