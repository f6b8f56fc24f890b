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

/* The id stored under key (and accepted by equal, when not NULL), or
 * HASHINDEX_NONE. */
uint32_t HashIndex_find(const HashIndex *ix, uint64_t key, HashIndexEqual equal, const void *ctx);

/* The id stored under key as HashIndex_find finds it; when there is none,
 * stores new_id under key and returns it (so the caller, who passes the
 * next free id, knows it was added when the answer is new_id). */
uint32_t HashIndex_intern(HashIndex *ix, uint64_t key, uint32_t new_id, HashIndexEqual equal,
                          const void *ctx);

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
