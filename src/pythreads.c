#include "config.h"

#include "pythreads.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pymem.h"
#include "pystr.h"
#include "util.h"

#define MAX_INTERPRETERS 16
#define MAX_DICT_ENTRIES 65536 /* sys.modules of a very large program */
#define ENTRY_CHUNK 256        /* dict entries read in one system call */
#define MAX_NAMED 4096
#define NAME_CHARS 256
/* PyTypeObject: the same offsets in every version since 3.8. */
#define TP_NAME 24
#define TP_BASICSIZE 32
#define TP_FLAGS 168
#define TP_DICTOFFSET 288
#define TYPE_HEAD_READ 296
/* Where a heap type's ht_name may be: PyHeapTypeObject's ht_name, ht_slots,
 * ht_qualname, ht_cached_keys follow PyTypeObject and its slot tables
 * (ht_cached_keys at 872 in 3.8, 3.10, 3.11; 864 in 3.9; 880 in 3.12,
 * 3.13: measured from their DWARF). */
#define HT_SCAN_FROM 640
#define HT_SCAN_TO 1280
#define TPFLAGS_INLINE_VALUES (1u << 2) /* 3.13+ */
#define TPFLAGS_MANAGED_DICT (1u << 4)  /* 3.11+ */
#define DICT_KEYS_GENERAL 0
#define DICT_KEYS_SPLIT 2
#define MODULE_DICT 16 /* PyModuleObject's md_dict */

typedef struct Named {
    pid_t tid;
    char *name;
} Named;

typedef struct KeysView {
    uint64_t entries;
    uint64_t count;
    unsigned entry_size, key_off, value_off;
    unsigned kind;
} KeysView;

struct PyThreadNames {
    pid_t pid;
    PyLayout layout;
    uint64_t runtime;
    uint64_t dict_type, int_type; /* &PyDict_Type, &PyLong_Type once seen */
    uint64_t active;              /* threading._active once found */
    uint64_t keys_type, keys;     /* the last heap type's ht_cached_keys */
    Named *named;
    size_t count;
};

PyThreadNames *
PyThreadNames_new(pid_t pid, const PyLayout *layout, uint64_t runtime)
{
    PyThreadNames *t = xcalloc(1, sizeof(*t));
    t->pid = pid;
    t->layout = *layout;
    t->runtime = runtime;
    return t;
}

static void
clear_named(PyThreadNames *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->named[i].name);
    free(t->named);
    t->named = NULL;
    t->count = 0;
}

void
PyThreadNames_delete(PyThreadNames *t)
{
    if (!t)
        return;
    clear_named(t);
    free(t);
}

static bool
read_u64(const PyThreadNames *t, uint64_t addr, uint64_t *out)
{
    return PyMem_read_u64(t->pid, addr, out);
}

/* Whether the str at addr is exactly the ASCII string s. */
static bool
str_equals(const PyThreadNames *t, uint64_t addr, const char *s)
{
    const PyLayout *l = &t->layout;
    size_t n = strlen(s);
    uint8_t buf[256];
    if (l->ascii_size + n > sizeof(buf) || !PyMem_read(t->pid, addr, buf, l->ascii_size + n))
        return false;
    int64_t length;
    uint32_t state;
    memcpy(&length, buf + l->str_length, sizeof(length));
    memcpy(&state, buf + l->str_state, sizeof(state));
    bool compact_ascii = ((state >> 5) & 1) && ((state >> 6) & 1) && ((state >> 2) & 7) == 1;
    return compact_ascii && length == (int64_t)n && memcmp(buf + l->ascii_size, s, n) == 0;
}

/* Whether the object at addr has the type named name; *known caches the
 * type's address once seen, so that later checks are one read. */
static bool
has_type(const PyThreadNames *t, uint64_t addr, const char *name, uint64_t *known)
{
    uint64_t type, tp_name;
    if (!read_u64(t, addr + t->layout.ob_type, &type) || type == 0)
        return false;
    if (*known)
        return type == *known;
    char buf[16];
    size_t n = strlen(name) + 1;
    if (n > sizeof(buf) || !read_u64(t, type + TP_NAME, &tp_name) ||
        !PyMem_read(t->pid, tp_name, buf, n) || memcmp(buf, name, n) != 0)
        return false;
    *known = type;
    return true;
}

static bool
keys_view(const PyThreadNames *t, uint64_t keys, KeysView *k)
{
    uint8_t h[40];
    if (t->layout.minor <= 10) { /* dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries */
        if (!PyMem_read(t->pid, keys, h, 40))
            return false;
        uint64_t size = PyMem_get_u64(h, 8), n = PyMem_get_u64(h, 32);
        if (size < 8 || size > (1u << 30) || (size & (size - 1)) || n > size)
            return false;
        unsigned ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
        *k = (KeysView){keys + 40 + size * ix, n, 24, 8, 16, DICT_KEYS_GENERAL};
        return true;
    }
    /* dk_refcnt, dk_log2_size, dk_log2_index_bytes, dk_kind, dk_version,
     * dk_usable, dk_nentries, then the indices */
    if (!PyMem_read(t->pid, keys, h, 32))
        return false;
    unsigned log2 = h[8], log2_index = h[9], kind = h[10];
    uint64_t n = PyMem_get_u64(h, 24);
    if (log2 < 3 || log2 > 30 || log2_index < log2 || log2_index > log2 + 3 || kind > 2 ||
        n > (1ull << log2))
        return false;
    unsigned esize = kind == DICT_KEYS_GENERAL ? 24 : 16;
    unsigned key_off = kind == DICT_KEYS_GENERAL ? 8 : 0;
    *k = (KeysView){keys + 32 + (1ull << log2_index), n, esize, key_off, key_off + 8, kind};
    return true;
}

/* Calls each(key, value) for the entries of keys (the values in values
 * when the dict is split) until it returns true; false when the keys
 * cannot be read. */
typedef bool (*EntryFn)(PyThreadNames *t, uint64_t key, uint64_t value, void *arg);

static bool
keys_each(PyThreadNames *t, uint64_t keys, uint64_t values, EntryFn each, void *arg)
{
    KeysView k;
    if (!keys_view(t, keys, &k) || k.count > MAX_DICT_ENTRIES)
        return false;
    /* 3.13+: the values follow a 8-byte head (capacity, size, embedded, valid). */
    uint64_t values_base = values && t->layout.minor >= 13 ? values + 8 : values;
    uint8_t chunk[ENTRY_CHUNK * 24];
    for (uint64_t start = 0; start < k.count; start += ENTRY_CHUNK) {
        uint64_t n = k.count - start < ENTRY_CHUNK ? k.count - start : ENTRY_CHUNK;
        if (!PyMem_read(t->pid, k.entries + start * k.entry_size, chunk, n * k.entry_size))
            return false;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t key = PyMem_get_u64(chunk, i * k.entry_size + k.key_off);
            uint64_t value = PyMem_get_u64(chunk, i * k.entry_size + k.value_off);
            if (key == 0)
                continue;
            if (values && !read_u64(t, values_base + (start + i) * 8, &value))
                return false;
            if (value && each(t, key, value, arg))
                return true;
        }
    }
    return true;
}

typedef struct Lookup {
    const char *name;
    uint64_t value;
} Lookup;

static bool
lookup_entry(PyThreadNames *t, uint64_t key, uint64_t value, void *arg)
{
    Lookup *look = arg;
    if (!str_equals(t, key, look->name))
        return false;
    look->value = value;
    return true;
}

static bool
dict_each(PyThreadNames *t, uint64_t dict, EntryFn each, void *arg)
{
    uint8_t d[48]; /* PyObject head, ma_used, version/watcher tag, ma_keys, ma_values */
    if (!has_type(t, dict, "dict", &t->dict_type) || !PyMem_read(t->pid, dict, d, sizeof(d)))
        return false;
    return keys_each(t, PyMem_get_u64(d, 32), PyMem_get_u64(d, 40), each, arg);
}

/* dict[name] for a str key, or 0. */
static uint64_t
dict_get(PyThreadNames *t, uint64_t dict, const char *name)
{
    Lookup look = {name, 0};
    dict_each(t, dict, lookup_entry, &look);
    return look.value;
}

/* A heap type's ht_cached_keys: its instances' shared keys. ht_name is
 * found as the str whose inline ASCII data tp_name points to. */
static uint64_t
cached_keys(PyThreadNames *t, uint64_t type)
{
    if (type == t->keys_type)
        return t->keys;
    uint8_t buf[HT_SCAN_TO];
    uint64_t tp_name;
    if (!PyMem_read(t->pid, type, buf, sizeof(buf)))
        return 0;
    tp_name = PyMem_get_u64(buf, TP_NAME);
    for (size_t off = HT_SCAN_FROM; off + 32 <= sizeof(buf); off += 8) {
        uint64_t name = PyMem_get_u64(buf, off);
        if (name == 0 || name + t->layout.ascii_size != tp_name)
            continue;
        uint64_t keys = PyMem_get_u64(buf, off + 24);
        KeysView k;
        if (!keys_view(t, keys, &k) || k.kind != DICT_KEYS_SPLIT)
            return 0;
        t->keys_type = type;
        t->keys = keys;
        return keys;
    }
    return 0;
}

/* obj.name from the instance's own attributes (its __dict__, or 3.11+
 * the values it keeps without one), or 0. */
static uint64_t
attr_get(PyThreadNames *t, uint64_t obj, const char *name)
{
    uint64_t type;
    uint8_t ty[TYPE_HEAD_READ];
    if (!read_u64(t, obj + t->layout.ob_type, &type) || !PyMem_read(t->pid, type, ty, sizeof(ty)))
        return 0;
    uint64_t basicsize = PyMem_get_u64(ty, TP_BASICSIZE), flags = PyMem_get_u64(ty, TP_FLAGS);
    int64_t dictoffset = (int64_t)PyMem_get_u64(ty, TP_DICTOFFSET);
    int minor = t->layout.minor;
    if (minor <= 10 || !(flags & TPFLAGS_MANAGED_DICT)) {
        uint64_t dict;
        if (dictoffset <= 0 || dictoffset > 4096 || !read_u64(t, obj + (uint64_t)dictoffset, &dict))
            return 0;
        return dict ? dict_get(t, dict, name) : 0;
    }
    /* Before the object: 3.11 values, dict; 3.12 dict-or-values (values
     * stored as their address - 1, so bit 0 tags them); 3.13+ the dict. */
    uint64_t pre[2];
    if (!PyMem_read(t->pid, obj - 32, pre, sizeof(pre)))
        return 0;
    uint64_t values = 0;
    Lookup look = {name, 0};
    if (minor == 12 && (pre[1] & 1)) {
        values = pre[1] + 1;
    } else if (pre[1]) {
        return dict_get(t, pre[1], name);
    } else if (minor == 11) {
        values = pre[0];
    } else if (minor >= 13 && (flags & TPFLAGS_INLINE_VALUES)) {
        uint8_t head[4]; /* capacity, size, embedded, valid */
        if (basicsize < 16 || basicsize > 4096 || !PyMem_read(t->pid, obj + basicsize, head, 4) ||
            head[3] != 1)
            return 0;
        values = obj + basicsize;
    }
    uint64_t keys = values ? cached_keys(t, type) : 0;
    if (keys)
        keys_each(t, keys, values, lookup_entry, &look);
    return look.value;
}

/* A non-negative int below 2^60, as Thread._native_id is. */
static bool
read_small_int(PyThreadNames *t, uint64_t addr, int64_t *out)
{
    uint8_t b[32];
    if (!has_type(t, addr, "int", &t->int_type) || !PyMem_read(t->pid, addr, b, sizeof(b)))
        return false;
    uint64_t head = PyMem_get_u64(b, 16), ndigits;
    if (t->layout.minor <= 11) { /* ob_size: the digit count, negative for < 0 */
        if ((int64_t)head < 0)
            return false;
        ndigits = head;
    } else { /* lv_tag: digit count << 3 | sign (0 positive, 1 zero, 2 negative) */
        if ((head & 3) == 2)
            return false;
        ndigits = (head & 3) == 1 ? 0 : head >> 3;
    }
    if (ndigits > 2)
        return false;
    uint32_t d0, d1;
    memcpy(&d0, b + 24, 4);
    memcpy(&d1, b + 28, 4);
    *out = ndigits == 0 ? 0 : ndigits == 1 ? d0 : (int64_t)d0 | (int64_t)d1 << 30;
    return true;
}

static bool
add_thread(PyThreadNames *t, uint64_t key, uint64_t thread, void *arg)
{
    (void)key;
    (void)arg;
    if (t->count >= MAX_NAMED)
        return true;
    int64_t tid;
    uint64_t name = attr_get(t, thread, "_name");
    uint64_t native_id = attr_get(t, thread, "_native_id");
    char buf[NAME_CHARS * 4 + 1];
    if (!name || !native_id || !read_small_int(t, native_id, &tid) || tid <= 0 || tid > INT32_MAX ||
        PyStr_read(t->pid, &t->layout, name, NAME_CHARS, buf, sizeof(buf)) < 0)
        return false;
    t->named = xreallocarray(t->named, t->count + 1, sizeof(*t->named));
    t->named[t->count++] = (Named){(pid_t)tid, xstrdup(buf)};
    return false;
}

static uint64_t
find_active(PyThreadNames *t)
{
    const PyLayout *l = &t->layout;
    uint64_t interp;
    if (!read_u64(t, t->runtime + l->rt_interpreters_head, &interp))
        return 0;
    for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
        uint64_t modules, module, module_dict, active;
        if (read_u64(t, interp + l->is_modules, &modules) && modules &&
            (module = dict_get(t, modules, "threading")) &&
            read_u64(t, module + MODULE_DICT, &module_dict) && module_dict &&
            (active = dict_get(t, module_dict, "_active")) &&
            has_type(t, active, "dict", &t->dict_type))
            return active;
        uint64_t next;
        if (!read_u64(t, interp + l->is_next, &next) || next == interp)
            break;
        interp = next;
    }
    return 0;
}

void
PyThreadNames_refresh(PyThreadNames *t)
{
    clear_named(t);
    if (!t->active)
        t->active = find_active(t);
    if (t->active && !dict_each(t, t->active, add_thread, NULL))
        t->active = 0; /* looked up again next time */
}

const char *
PyThreadNames_get(const PyThreadNames *t, pid_t tid)
{
    for (size_t i = 0; t && i < t->count; i++)
        if (t->named[i].tid == tid)
            return t->named[i].name;
    return NULL;
}
