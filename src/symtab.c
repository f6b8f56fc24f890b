#include "config.h"

#include "symtab.h"

#include <stdlib.h>
#include <string.h>

#include "hashindex.h"
#include "util.h"

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
    size_t block_count, block_cap;
    size_t block_used, block_size; /* of the last block */
    StringRef *strings;
    size_t string_count, string_cap;
    HashIndex string_index; /* by hash_bytes; keys live in the arrays */

    SymtabFrame *frames;
    size_t frame_count, frame_cap;
    HashIndex frame_index;

    FrameId *stack_frames;
    size_t stack_frames_len, stack_frames_cap;
    Span *stacks;
    size_t stack_count, stack_cap;
    HashIndex stack_index;
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

typedef struct StringKey {
    const Symtab *symtab;
    const char *s;
    size_t len;
} StringKey;

static bool
string_equal(const void *ctx, uint32_t id)
{
    const StringKey *k = ctx;
    StringRef s = k->symtab->strings[id];
    return s.length == k->len && memcmp(s.chars, k->s, k->len) == 0;
}

typedef struct FrameKey {
    const Symtab *symtab;
    SymtabFrame frame;
} FrameKey;

static bool
frame_equal(const void *ctx, uint32_t id)
{
    const FrameKey *k = ctx;
    const SymtabFrame *a = &k->symtab->frames[id], *b = &k->frame;
    return a->function == b->function && a->file == b->file && a->module == b->module &&
           a->line == b->line && a->kind == b->kind;
}

typedef struct StackKey {
    const Symtab *symtab;
    const FrameId *frames;
    size_t count;
} StackKey;

static bool
stack_equal(const void *ctx, uint32_t id)
{
    const StackKey *k = ctx;
    Span sp = k->symtab->stacks[id];
    if (sp.length != k->count)
        return false;
    return k->count == 0 ||
           memcmp(k->symtab->stack_frames + sp.offset, k->frames, k->count * sizeof(FrameId)) == 0;
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
    HashIndex_done(&symtab->string_index);
    free(symtab->frames);
    HashIndex_done(&symtab->frame_index);
    free(symtab->stack_frames);
    free(symtab->stacks);
    HashIndex_done(&symtab->stack_index);
    free(symtab);
}

StrId
Symtab_intern_string(Symtab *symtab, const char *s, size_t len)
{
    StringKey key = {symtab, s, len};
    uint32_t id = HashIndex_intern(&symtab->string_index, hash_bytes(s, len, 1),
                                   (uint32_t)symtab->string_count, string_equal, &key);
    if (id < symtab->string_count)
        return id;
    if (symtab->block_count == 0 || symtab->block_used + len + 1 > symtab->block_size) {
        /* A new block; a string larger than a block gets one of its own. */
        size_t size = len + 1 > STRING_BLOCK_BYTES ? len + 1 : STRING_BLOCK_BYTES;
        symtab->blocks =
            xgrow(symtab->blocks, &symtab->block_cap, symtab->block_count + 1, sizeof(char *));
        symtab->blocks[symtab->block_count++] = xmalloc(size);
        symtab->block_used = 0;
        symtab->block_size = size;
    }
    symtab->strings =
        xgrow(symtab->strings, &symtab->string_cap, symtab->string_count + 1, sizeof(StringRef));
    char *chars = symtab->blocks[symtab->block_count - 1] + symtab->block_used;
    if (len)
        memcpy(chars, s, len);
    chars[len] = '\0';
    symtab->block_used += len + 1;
    symtab->strings[symtab->string_count++] = (StringRef){chars, (uint32_t)len};
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
    FrameKey key = {.symtab = symtab};
    memset(&key.frame, 0, sizeof(key.frame)); /* no stray padding in the table */
    key.frame.function = frame->function;
    key.frame.file = frame->file;
    key.frame.module = frame->module;
    key.frame.line = frame->line;
    key.frame.kind = frame->kind;
    uint32_t hk[5] = {frame->function, frame->file, frame->module, frame->line, frame->kind};
    uint32_t id = HashIndex_intern(&symtab->frame_index, hash_bytes(hk, sizeof(hk), 2),
                                   (uint32_t)symtab->frame_count, frame_equal, &key);
    if (id < symtab->frame_count)
        return id;
    symtab->frames =
        xgrow(symtab->frames, &symtab->frame_cap, symtab->frame_count + 1, sizeof(SymtabFrame));
    symtab->frames[symtab->frame_count++] = key.frame;
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
    StackKey key = {symtab, frames, count};
    uint32_t id =
        HashIndex_intern(&symtab->stack_index, hash_bytes(frames, count * sizeof(FrameId), 3),
                         (uint32_t)symtab->stack_count, stack_equal, &key);
    if (id < symtab->stack_count)
        return id;
    symtab->stack_frames = xgrow(symtab->stack_frames, &symtab->stack_frames_cap,
                                 symtab->stack_frames_len + count, sizeof(FrameId));
    symtab->stacks =
        xgrow(symtab->stacks, &symtab->stack_cap, symtab->stack_count + 1, sizeof(Span));
    if (count)
        memcpy(symtab->stack_frames + symtab->stack_frames_len, frames, count * sizeof(FrameId));
    symtab->stacks[symtab->stack_count++] =
        (Span){(uint32_t)symtab->stack_frames_len, (uint32_t)count};
    symtab->stack_frames_len += count;
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
