#include "config.h"

#include "symtab.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* An open-addressing index of ids; the table compares through callbacks
 * because the keys live in the owning arrays. */
typedef struct IdIndex {
    uint32_t *slots; /* id + 1; 0 = empty */
    size_t cap;      /* power of two */
    size_t used;
} IdIndex;

typedef struct Span {
    uint32_t offset, length;
} Span;

/* Strings live in blocks that never move, so a borrowed pointer stays
 * valid for the table's life. */
#define STRING_BLOCK_BYTES (64u << 10)

typedef struct StringRef {
    const char *chars;
    uint32_t length;
} StringRef;

struct Symtab {
    char **blocks;
    size_t block_count;
    size_t block_used, block_size; /* of the last block */
    StringRef *strings;
    size_t string_count, string_cap;
    IdIndex string_index;

    SymtabFrame *frames;
    size_t frame_count, frame_cap;
    IdIndex frame_index;

    FrameId *stack_frames;
    size_t stack_frames_len, stack_frames_cap;
    Span *stacks;
    size_t stack_count, stack_cap;
    IdIndex stack_index;
};

static uint64_t
hash_bytes(const void *data, size_t len, uint64_t seed)
{
    /* FNV-1a, then a final mix so low bits are usable. */
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

typedef bool (*IdEqual)(const Symtab *symtab, uint32_t id, const void *key);
typedef uint64_t (*IdHash)(const Symtab *symtab, uint32_t id);

/* Returns the id found for key, or UINT32_MAX with *slot_out set to the
 * empty slot where it belongs. */
static uint32_t
index_lookup(const Symtab *symtab, const IdIndex *index, uint64_t hash, const void *key,
             IdEqual equal, size_t *slot_out)
{
    size_t mask = index->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t v = index->slots[i];
        if (v == 0) {
            *slot_out = i;
            return UINT32_MAX;
        }
        if (equal(symtab, v - 1, key))
            return v - 1;
    }
}

static void
index_grow(const Symtab *symtab, IdIndex *index, IdHash hash)
{
    size_t cap = index->cap ? index->cap * 2 : 1024;
    uint32_t *slots = xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < index->cap; i++) {
        uint32_t v = index->slots[i];
        if (!v)
            continue;
        size_t j = hash(symtab, v - 1) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = v;
    }
    free(index->slots);
    index->slots = slots;
    index->cap = cap;
}

/* Makes room so that one more id keeps the load under 1/2. */
static void
index_reserve(const Symtab *symtab, IdIndex *index, IdHash hash)
{
    if ((index->used + 1) * 2 > index->cap)
        index_grow(symtab, index, hash);
}

typedef struct StringKey {
    const char *s;
    size_t len;
} StringKey;

static uint64_t
string_hash(const Symtab *symtab, uint32_t id)
{
    StringRef s = symtab->strings[id];
    return hash_bytes(s.chars, s.length, 1);
}

static bool
string_equal(const Symtab *symtab, uint32_t id, const void *key)
{
    const StringKey *k = key;
    StringRef s = symtab->strings[id];
    return s.length == k->len && memcmp(s.chars, k->s, k->len) == 0;
}

static uint64_t
frame_hash(const Symtab *symtab, uint32_t id)
{
    const SymtabFrame *f = &symtab->frames[id];
    uint32_t key[5] = {f->function, f->file, f->module, f->line, f->kind};
    return hash_bytes(key, sizeof(key), 2);
}

static bool
frame_equal(const Symtab *symtab, uint32_t id, const void *key)
{
    const SymtabFrame *a = &symtab->frames[id], *b = key;
    return a->function == b->function && a->file == b->file && a->module == b->module &&
           a->line == b->line && a->kind == b->kind;
}

typedef struct StackKey {
    const FrameId *frames;
    size_t count;
} StackKey;

static uint64_t
stack_hash(const Symtab *symtab, uint32_t id)
{
    Span sp = symtab->stacks[id];
    if (sp.length == 0)
        return hash_bytes(NULL, 0, 3);
    return hash_bytes(symtab->stack_frames + sp.offset, sp.length * sizeof(FrameId), 3);
}

static bool
stack_equal(const Symtab *symtab, uint32_t id, const void *key)
{
    const StackKey *k = key;
    Span sp = symtab->stacks[id];
    if (sp.length != k->count)
        return false;
    return k->count == 0 ||
           memcmp(symtab->stack_frames + sp.offset, k->frames, k->count * sizeof(FrameId)) == 0;
}

Symtab *
Symtab_new(void)
{
    Symtab *symtab = xcalloc(1, sizeof(*symtab));
    Symtab_intern_string(symtab, "", 0); /* SYMTAB_EMPTY */
    return symtab;
}

void
Symtab_delete(Symtab *symtab)
{
    if (!symtab)
        return;
    for (size_t i = 0; i < symtab->block_count; i++)
        free(symtab->blocks[i]);
    free(symtab->blocks);
    free(symtab->strings);
    free(symtab->string_index.slots);
    free(symtab->frames);
    free(symtab->frame_index.slots);
    free(symtab->stack_frames);
    free(symtab->stacks);
    free(symtab->stack_index.slots);
    free(symtab);
}

StrId
Symtab_intern_string(Symtab *symtab, const char *s, size_t len)
{
    StringKey key = {s, len};
    index_reserve(symtab, &symtab->string_index, string_hash);
    size_t slot;
    uint32_t id = index_lookup(symtab, &symtab->string_index, hash_bytes(s, len, 1), &key,
                               string_equal, &slot);
    if (id != UINT32_MAX)
        return id;
    if (symtab->block_count == 0 || symtab->block_used + len + 1 > symtab->block_size) {
        /* A new block; a string larger than a block gets one of its own. */
        size_t size = len + 1 > STRING_BLOCK_BYTES ? len + 1 : STRING_BLOCK_BYTES;
        symtab->blocks = xreallocarray(symtab->blocks, symtab->block_count + 1, sizeof(char *));
        symtab->blocks[symtab->block_count++] = xmalloc(size);
        symtab->block_used = 0;
        symtab->block_size = size;
    }
    if (symtab->string_count == symtab->string_cap) {
        symtab->string_cap = symtab->string_cap ? symtab->string_cap * 2 : 256;
        symtab->strings = xreallocarray(symtab->strings, symtab->string_cap, sizeof(StringRef));
    }
    char *chars = symtab->blocks[symtab->block_count - 1] + symtab->block_used;
    if (len)
        memcpy(chars, s, len);
    chars[len] = '\0';
    symtab->block_used += len + 1;
    id = (uint32_t)symtab->string_count++;
    symtab->strings[id] = (StringRef){chars, (uint32_t)len};
    symtab->string_index.slots[slot] = id + 1;
    symtab->string_index.used++;
    return id;
}

StrId
Symtab_intern_cstr(Symtab *symtab, const char *s)
{
    return s ? Symtab_intern_string(symtab, s, strlen(s)) : SYMTAB_EMPTY;
}

const char *
Symtab_string(const Symtab *symtab, StrId id)
{
    if (id >= symtab->string_count)
        return "";
    return symtab->strings[id].chars;
}

FrameId
Symtab_intern_frame(Symtab *symtab, const SymtabFrame *frame)
{
    SymtabFrame key;
    memset(&key, 0, sizeof(key)); /* no stray padding in the hash */
    key.function = frame->function;
    key.file = frame->file;
    key.module = frame->module;
    key.line = frame->line;
    key.kind = frame->kind;
    index_reserve(symtab, &symtab->frame_index, frame_hash);
    uint32_t hk[5] = {key.function, key.file, key.module, key.line, key.kind};
    size_t slot;
    uint32_t id = index_lookup(symtab, &symtab->frame_index, hash_bytes(hk, sizeof(hk), 2), &key,
                               frame_equal, &slot);
    if (id != UINT32_MAX)
        return id;
    if (symtab->frame_count == symtab->frame_cap) {
        symtab->frame_cap = symtab->frame_cap ? symtab->frame_cap * 2 : 256;
        symtab->frames = xreallocarray(symtab->frames, symtab->frame_cap, sizeof(SymtabFrame));
    }
    id = (uint32_t)symtab->frame_count++;
    symtab->frames[id] = key;
    symtab->frame_index.slots[slot] = id + 1;
    symtab->frame_index.used++;
    return id;
}

const SymtabFrame *
Symtab_frame(const Symtab *symtab, FrameId id)
{
    return id < symtab->frame_count ? &symtab->frames[id] : NULL;
}

StackId
Symtab_intern_stack(Symtab *symtab, const FrameId *frames, size_t count)
{
    StackKey key = {frames, count};
    index_reserve(symtab, &symtab->stack_index, stack_hash);
    size_t slot;
    uint32_t id =
        index_lookup(symtab, &symtab->stack_index, hash_bytes(frames, count * sizeof(FrameId), 3),
                     &key, stack_equal, &slot);
    if (id != UINT32_MAX)
        return id;
    if (symtab->stack_frames_len + count > symtab->stack_frames_cap) {
        symtab->stack_frames_cap = (symtab->stack_frames_cap + count) * 2;
        symtab->stack_frames =
            xreallocarray(symtab->stack_frames, symtab->stack_frames_cap, sizeof(FrameId));
    }
    if (symtab->stack_count == symtab->stack_cap) {
        symtab->stack_cap = symtab->stack_cap ? symtab->stack_cap * 2 : 256;
        symtab->stacks = xreallocarray(symtab->stacks, symtab->stack_cap, sizeof(Span));
    }
    if (count)
        memcpy(symtab->stack_frames + symtab->stack_frames_len, frames, count * sizeof(FrameId));
    id = (uint32_t)symtab->stack_count++;
    symtab->stacks[id] = (Span){(uint32_t)symtab->stack_frames_len, (uint32_t)count};
    symtab->stack_frames_len += count;
    symtab->stack_index.slots[slot] = id + 1;
    symtab->stack_index.used++;
    return id;
}

const FrameId *
Symtab_stack(const Symtab *symtab, StackId id, size_t *count)
{
    if (id >= symtab->stack_count) {
        *count = 0;
        return NULL;
    }
    *count = symtab->stacks[id].length;
    /* Empty stacks may come before any frame is stored (stack_frames is
     * still NULL, and NULL + 0 is undefined): hand out a valid empty array. */
    static const FrameId no_frames[1];
    if (*count == 0)
        return no_frames;
    return symtab->stack_frames + symtab->stacks[id].offset;
}

size_t
Symtab_string_count(const Symtab *symtab)
{
    return symtab->string_count;
}

size_t
Symtab_frame_count(const Symtab *symtab)
{
    return symtab->frame_count;
}

size_t
Symtab_stack_count(const Symtab *symtab)
{
    return symtab->stack_count;
}
