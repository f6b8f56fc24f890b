/* An open-addressing index from a 64-bit key to a dense uint32 id. The
 * things it finds (strings, frames, threads, counts) stay in the caller's
 * plain array, in insertion order; the index only answers "which id has
 * this key". A key is either the identity itself (a tid, a pc, a packed
 * tuple: pass equal NULL) or a hash of a larger identity, which `equal`
 * then checks against the caller's element of that id. The load stays at
 * most 1/2. Ids are never removed one by one: HashIndex_clear empties it.
 * A HashIndex is embedded and zero-initialised; HashIndex_done frees it. */
#ifndef SPYTOP_SRC_HASHINDEX_H
#define SPYTOP_SRC_HASHINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define HASHINDEX_NONE UINT32_MAX

typedef struct HashIndexSlot {
    uint64_t key;
    uint32_t id1; /* id + 1; 0: empty */
} HashIndexSlot;

typedef struct HashIndex {
    HashIndexSlot *slots;
    size_t cap; /* 0 or a power of two */
    size_t count;
} HashIndex;

/* Whether the caller's element `id`, whose key matched, is the one sought;
 * ctx is what the caller passed along (its key, its table). */
typedef bool (*HashIndexEqual)(const void *ctx, uint32_t id);

/* Doubles the table (not for callers: HashIndex_intern and _add use it). */
void HashIndex_grow(HashIndex *ix);

/* The slot holding key's id, or the empty slot where it belongs; the table
 * has room (cap > count). Inline, like the two below, so that a caller's
 * equal (often NULL) is known where the loop runs: these are the hot paths
 * of the aggregator, the recorder and every report. */
static inline HashIndexSlot *
HashIndex_slot(const HashIndex *ix, uint64_t key, HashIndexEqual equal, const void *ctx)
{
    size_t mask = ix->cap - 1;
    for (size_t j = Util_mix64(key) & mask;; j = (j + 1) & mask) {
        HashIndexSlot *s = &ix->slots[j];
        if (!s->id1 || (s->key == key && (!equal || equal(ctx, s->id1 - 1))))
            return s;
    }
}

/* The id stored under key (and accepted by equal, when not NULL), or
 * HASHINDEX_NONE. */
static inline uint32_t
HashIndex_find(const HashIndex *ix, uint64_t key, HashIndexEqual equal, const void *ctx)
{
    if (!ix->cap)
        return HASHINDEX_NONE;
    return HashIndex_slot(ix, key, equal, ctx)->id1 - 1; /* empty: 0 - 1 is NONE */
}

/* The id stored under key as HashIndex_find finds it; when there is none,
 * stores new_id under key and returns it (so the caller, who passes the
 * next free id, knows it was added when the answer is new_id). */
static inline uint32_t
HashIndex_intern(HashIndex *ix, uint64_t key, uint32_t new_id, HashIndexEqual equal,
                 const void *ctx)
{
    if ((ix->count + 1) * 2 > ix->cap)
        HashIndex_grow(ix);
    HashIndexSlot *s = HashIndex_slot(ix, key, equal, ctx);
    if (s->id1)
        return s->id1 - 1;
    s->key = key;
    s->id1 = new_id + 1;
    ix->count++;
    return new_id;
}

/* Stores id under key; the caller knows no equal element is stored. */
void HashIndex_add(HashIndex *ix, uint64_t key, uint32_t id);

/* Forgets every id; keeps the memory for the next ones. */
void HashIndex_clear(HashIndex *ix);

/* Frees the memory; the index is empty and usable again. */
void HashIndex_done(HashIndex *ix);

static inline size_t
HashIndex_count(const HashIndex *ix)
{
    return ix->count;
}

#endif
