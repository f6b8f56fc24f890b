#include "config.h"

#include "pycode.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hashindex.h"
#include "pylines.h"
#include "pymem.h"
#include "pystr.h"
#include "util.h"

#define MAX_NAME_CHARS 1024
#define MAX_LINETABLE_BYTES (256u << 10)
#define CODE_REVERIFY_NS (1000u * 1000 * 1000)
#define CODE_MAX_ENTRIES 32768 /* then the cache starts over */

typedef struct CodeEntry {
    uint64_t addr; /* 0: not loaded (its last reload failed) */
    uint64_t verified_ns;
    StrId name, file;
    int firstlineno;
    uint8_t *linetable;
    size_t linetable_len;
    /* Symtab frames per instruction offset, small direct cache. */
    int32_t last_lasti;
    FrameId last_frame;
    Symtab *last_symtab;
} CodeEntry;

struct PyCodeCache {
    pid_t pid;
    PyLayout layout;
    uint64_t code_type;
    CodeEntry *codes; /* in insertion order, found through code_index */
    size_t code_cap, code_used;
    HashIndex code_index; /* code object address -> index in codes */
};

PyCodeCache *
PyCodeCache_new(pid_t pid, const PyLayout *layout, uint64_t code_type)
{
    PyCodeCache *cache = xcalloc(1, sizeof(*cache));
    cache->pid = pid;
    cache->layout = *layout;
    cache->code_type = code_type;
    return cache;
}

static void
free_code(CodeEntry *e)
{
    free(e->linetable);
    memset(e, 0, sizeof(*e));
}

void
PyCodeCache_delete(PyCodeCache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < cache->code_used; i++)
        free_code(&cache->codes[i]);
    free(cache->codes);
    HashIndex_done(&cache->code_index);
    free(cache);
}

/* A str object as UTF-8 into a symtab string. */
static StrId
read_str(PyCodeCache *cache, uint64_t addr, Symtab *symtab)
{
    char utf8[PY_STR_UTF8_MAX];
    int n = PyStr_read(cache->pid, &cache->layout, addr, MAX_NAME_CHARS, utf8, sizeof(utf8));
    return n < 0 ? SYMTAB_EMPTY : Symtab_intern_string(symtab, utf8, (size_t)n);
}

static uint8_t *
read_bytes_object(PyCodeCache *cache, uint64_t addr, size_t *len)
{
    int64_t size;
    *len = 0;
    if (!PyMem_read(cache->pid, addr + cache->layout.bytes_size, &size, sizeof(size)) || size < 0 ||
        (uint64_t)size > MAX_LINETABLE_BYTES)
        return NULL;
    uint8_t *buf = xmalloc((size_t)size + 1);
    if (size && !PyMem_read(cache->pid, addr + cache->layout.bytes_data, buf, (size_t)size)) {
        free(buf);
        return NULL;
    }
    *len = (size_t)size;
    return buf;
}

static bool
load_code(PyCodeCache *cache, CodeEntry *e, uint64_t addr, Symtab *symtab)
{
    const PyLayout *l = &cache->layout;
    uint8_t co[PY_CODE_READ_MAX];
    uint64_t need = l->co_code_adaptive ? l->co_code_adaptive : 128;
    if (need > sizeof(co) || !PyMem_read(cache->pid, addr, co, (size_t)need))
        return false;
    if (PyMem_get_u64(co, l->ob_type) != cache->code_type)
        return false; /* not a code object */
    int32_t firstlineno;
    memcpy(&firstlineno, co + l->co_firstlineno, sizeof(firstlineno));
    uint64_t name = PyMem_get_u64(co, l->co_qualname ? l->co_qualname : l->co_name);
    e->addr = addr;
    e->name = read_str(cache, name, symtab);
    e->file = read_str(cache, PyMem_get_u64(co, l->co_filename), symtab);
    e->firstlineno = firstlineno;
    e->linetable = read_bytes_object(cache, PyMem_get_u64(co, l->co_linetable), &e->linetable_len);
    e->verified_ns = Util_now_ns();
    e->last_lasti = INT32_MIN;
    return true;
}

/* The cache entry of the code object at addr: a new one (addr 0, not
 * loaded) the first time. */
static CodeEntry *
code_slot(PyCodeCache *cache, uint64_t addr)
{
    uint32_t i = HashIndex_find(&cache->code_index, addr, NULL, NULL);
    if (i != HASHINDEX_NONE)
        return &cache->codes[i];
    /* Bounded: start over rather than grow past CODE_MAX_ENTRIES. */
    if (cache->code_used >= CODE_MAX_ENTRIES) {
        for (size_t j = 0; j < cache->code_used; j++)
            free_code(&cache->codes[j]);
        cache->code_used = 0;
        HashIndex_clear(&cache->code_index);
    }
    cache->codes = xgrow(cache->codes, &cache->code_cap, cache->code_used + 1, sizeof(CodeEntry));
    HashIndex_add(&cache->code_index, addr, (uint32_t)cache->code_used);
    CodeEntry *e = &cache->codes[cache->code_used++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* A cached code object is checked again now and then: its address may
 * have been freed and reused by another since it was read. */
static bool
still_same_code(PyCodeCache *cache, CodeEntry *e)
{
    uint64_t now = Util_now_ns();
    if (now - e->verified_ns < CODE_REVERIFY_NS)
        return true;
    const PyLayout *l = &cache->layout;
    uint64_t type;
    int32_t firstlineno;
    if (!PyMem_read_u64(cache->pid, e->addr + l->ob_type, &type) ||
        !PyMem_read(cache->pid, e->addr + l->co_firstlineno, &firstlineno, sizeof(firstlineno)) ||
        type != cache->code_type || firstlineno != e->firstlineno)
        return false;
    e->verified_ns = now;
    return true;
}

FrameId
PyCodeCache_frame(PyCodeCache *cache, uint64_t code, int32_t lasti, Symtab *symtab)
{
    CodeEntry *e = code_slot(cache, code);
    if (e->addr && !still_same_code(cache, e))
        free_code(e);
    if (!e->addr && !load_code(cache, e, code, symtab)) {
        free_code(e);
        SymtabFrame bad = {.function = Symtab_intern_cstr(symtab, "<unreadable Python frame>"),
                           .kind = FRAME_PYTHON};
        return Symtab_intern_frame(symtab, &bad);
    }
    if (e->last_symtab == symtab && e->last_lasti == lasti)
        return e->last_frame;
    int line = lasti < 0 ? e->firstlineno
                         : PyLines_line(cache->layout.lines, e->linetable, e->linetable_len,
                                        e->firstlineno, lasti);
    SymtabFrame f = {
        .function = e->name,
        .file = e->file,
        .line = line > 0 ? (uint32_t)line : 0,
        .kind = FRAME_PYTHON,
    };
    e->last_frame = Symtab_intern_frame(symtab, &f);
    e->last_lasti = lasti;
    e->last_symtab = symtab;
    return e->last_frame;
}
