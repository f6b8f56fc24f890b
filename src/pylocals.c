#include "config.h"

#include "pylocals.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pymem.h"
#include "pystr.h"
#include "util.h"

/* 3.11+ co_localspluskinds bits (Include/internal/pycore_code.h). */
#define CO_FAST_HIDDEN 0x10
#define CO_FAST_LOCAL 0x20
#define CO_FAST_CELL 0x40
/* Bounds of what is believed of a code object. */
#define MAX_SLOTS 65536
#define TYPE_NAME_MAX 128
#define NAME_CHARS 128
/* PyTypeObject.tp_name, PyVarObject.ob_size, PyFloatObject.ob_fval,
 * PyDictObject.ma_used, PySetObject.used, PyCellObject.ob_ref, the digits
 * of an int: the same offsets in every 64-bit build of 3.8 - 3.15 (read
 * from the DWARF of the pyenv builds 3.8 - 3.13; from 3.13 on checked
 * against the interpreter's _Py_DebugOffsets where it declares them, in
 * pylayout.c). A tuple's items moved in 3.14: PyLayout.tuple_items. */
#define TP_NAME 24
#define OB_SIZE 16
#define FLOAT_VALUE 16
#define DICT_USED 16
#define SET_USED 24
#define CELL_REF 16
#define INT_DIGITS 24
#define INT_MAX_DIGITS (1 << 26)

bool
PyLocals_supported(const PyLayout *l)
{
    return l->fr_localsplus && l->co_localsnames && (l->co_localskinds || l->co_nlocals);
}

void
PyLocals_clear(PyFrameLocals *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->locals[i].name);
        free(f->locals[i].type);
        free(f->locals[i].value);
    }
    free(f->locals);
    memset(f, 0, sizeof(*f));
}

/* A NUL-terminated C string at addr, at most max - 1 bytes, read a page at
 * a time so that a string near the end of a mapping is still read. */
static char *
read_cstr(pid_t pid, uint64_t addr, size_t max)
{
    char buf[TYPE_NAME_MAX];
    if (max > sizeof(buf))
        max = sizeof(buf);
    size_t got = 0;
    while (got < max - 1) {
        uint64_t at = addr + got;
        size_t want = 4096 - (size_t)(at & 4095);
        if (want > max - 1 - got)
            want = max - 1 - got;
        if (!PyMem_read(pid, at, buf + got, want))
            return NULL;
        void *nul = memchr(buf + got, '\0', want);
        if (nul)
            return xstrdup(buf);
        got += want;
    }
    buf[got] = '\0';
    return xstrdup(buf);
}

static char *
type_name(pid_t pid, uint64_t type)
{
    uint64_t name;
    if (!PyMem_read_u64(pid, type + TP_NAME, &name))
        return NULL;
    char *s = read_cstr(pid, name, TYPE_NAME_MAX);
    if (s && !s[0]) {
        free(s);
        return NULL;
    }
    return s;
}

/* An int: exact when it fits in 60 bits (two 30-bit digits), else its size
 * in bits. */
static void
describe_int(pid_t pid, const PyLayout *l, uint64_t addr, PyLocal *out)
{
    uint64_t head[2]; /* ob_size (lv_tag from 3.12), first digits */
    if (!PyMem_read(pid, addr + OB_SIZE, head, sizeof(head))) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    uint64_t ndigits;
    bool negative;
    if (l->minor >= 12) { /* _PyLongValue.lv_tag: ndigits << 3 | sign (2: negative) */
        ndigits = head[0] >> 3;
        negative = (head[0] & 3) == 2;
    } else {
        int64_t size = (int64_t)head[0];
        negative = size < 0;
        ndigits = negative ? (uint64_t)0 - (uint64_t)size : (uint64_t)size;
    }
    if (ndigits > INT_MAX_DIGITS) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    uint32_t d[2];
    memcpy(d, &head[1], sizeof(d));
    if (ndigits <= 2) {
        uint64_t v = 0;
        if (ndigits >= 1)
            v = d[0] & 0x3fffffffu;
        if (ndigits == 2)
            v |= (uint64_t)(d[1] & 0x3fffffffu) << 30;
        out->kind = PY_LOCAL_INT;
        out->value = xasprintf("%s%" PRIu64, negative && v ? "-" : "", v);
        return;
    }
    uint32_t top;
    if (!PyMem_read(pid, addr + INT_DIGITS + (ndigits - 1) * 4, &top, sizeof(top))) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    top &= 0x3fffffffu;
    unsigned topbits = 0;
    while (top >> topbits)
        topbits++;
    out->kind = PY_LOCAL_BIG_INT;
    out->bits = (ndigits - 1) * 30 + topbits;
}

/* A float as repr() writes it: the shortest %g that reads back the same. */
static void
describe_float(pid_t pid, uint64_t addr, PyLocal *out)
{
    double v;
    if (!PyMem_read(pid, addr + FLOAT_VALUE, &v, sizeof(v))) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v || v != v)
            break;
    }
    /* repr(1.0) is "1.0": a float shows as one. */
    if (!strpbrk(buf, ".eIn"))
        strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
    out->kind = PY_LOCAL_FLOAT;
    out->value = xstrdup(buf);
}

static void
describe_str(pid_t pid, const PyLayout *l, uint64_t addr, PyLocal *out)
{
    int64_t length;
    char buf[PY_LOCAL_VALUE_CHARS * 4 + 1];
    if (!PyMem_read(pid, addr + l->str_length, &length, sizeof(length)) || length < 0 ||
        PyStr_read(pid, l, addr, PY_LOCAL_VALUE_CHARS, buf, sizeof(buf)) < 0) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    out->kind = PY_LOCAL_STR;
    out->value = xstrdup(buf);
    out->length = length;
    out->cut = length > PY_LOCAL_VALUE_CHARS;
}

static void
describe_bytes(pid_t pid, const PyLayout *l, uint64_t addr, PyLocal *out)
{
    int64_t size;
    uint8_t raw[PY_LOCAL_VALUE_CHARS];
    if (!PyMem_read(pid, addr + l->bytes_size, &size, sizeof(size)) || size < 0) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    size_t n = size > PY_LOCAL_VALUE_CHARS ? PY_LOCAL_VALUE_CHARS : (size_t)size;
    if (n && !PyMem_read(pid, addr + l->bytes_data, raw, n)) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    char text[PY_LOCAL_VALUE_CHARS * 4 + 1];
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = raw[i];
        if (c == '\\' || c == '\'')
            t += (size_t)sprintf(text + t, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            text[t++] = (char)c;
        else
            t += (size_t)sprintf(text + t, "\\x%02x", c);
    }
    text[t] = '\0';
    out->kind = PY_LOCAL_BYTES;
    out->value = xstrdup(text);
    out->length = size;
    out->cut = size > PY_LOCAL_VALUE_CHARS;
}

static void
describe_length(pid_t pid, uint64_t at, PyLocal *out)
{
    int64_t n;
    if (!PyMem_read(pid, at, &n, sizeof(n)) || n < 0) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    out->kind = PY_LOCAL_CONTAINER;
    out->length = n;
}

/* The object at addr into out (its name already set). cell: the slot is a
 * cell variable's, whose cell is looked into once. */
static void
describe(pid_t pid, const PyLayout *l, const PyLocalsTypes *t, uint64_t addr, bool cell,
         PyLocal *out)
{
    out->length = -1;
    if (!addr) {
        out->kind = PY_LOCAL_UNBOUND;
        return;
    }
    uint64_t type;
    if (!PyMem_read_u64(pid, addr + l->ob_type, &type) || !type) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    if (cell && t->cell && type == t->cell) {
        uint64_t ref;
        if (!PyMem_read_u64(pid, addr + CELL_REF, &ref)) {
            out->kind = PY_LOCAL_UNREADABLE;
            return;
        }
        describe(pid, l, t, ref, false, out);
        return;
    }
    out->type = type_name(pid, type);
    if (!out->type) {
        out->kind = PY_LOCAL_UNREADABLE;
        return;
    }
    if (t->none && addr == t->none) {
        out->kind = PY_LOCAL_NONE;
        out->value = xstrdup("None");
    } else if (t->true_ && (addr == t->true_ || addr == t->false_)) {
        out->kind = PY_LOCAL_BOOL;
        out->value = xstrdup(addr == t->true_ ? "True" : "False");
    } else if (t->int_ && type == t->int_) {
        describe_int(pid, l, addr, out);
    } else if (t->float_ && type == t->float_) {
        describe_float(pid, addr, out);
    } else if (t->str && type == t->str) {
        describe_str(pid, l, addr, out);
    } else if (t->bytes && type == t->bytes) {
        describe_bytes(pid, l, addr, out);
    } else if ((t->list && type == t->list) || (t->tuple && type == t->tuple)) {
        describe_length(pid, addr + OB_SIZE, out);
    } else if (t->dict && type == t->dict) {
        describe_length(pid, addr + DICT_USED, out);
    } else if ((t->set && type == t->set) || (t->frozenset && type == t->frozenset)) {
        describe_length(pid, addr + SET_USED, out);
    } else {
        out->kind = PY_LOCAL_OTHER;
    }
}

/* The items of the tuple at addr, at most max of them: how many it has
 * (-1 when it cannot be read) and the first min(that, max) into items. */
static int64_t
read_tuple(pid_t pid, const PyLayout *l, uint64_t addr, uint64_t *items, size_t max)
{
    int64_t size;
    if (!PyMem_read(pid, addr + OB_SIZE, &size, sizeof(size)) || size < 0 || size > MAX_SLOTS)
        return -1;
    size_t n = (size_t)size < max ? (size_t)size : max;
    if (n && !PyMem_read(pid, addr + l->tuple_items, items, n * sizeof(*items)))
        return -1;
    return size;
}

void
PyLocals_read(pid_t pid, const PyLayout *l, const PyLocalsTypes *types, const PyRawFrame *frame,
              PyFrameLocals *out)
{
    PyLocals_clear(out);
    out->code = frame->code;
    if (!PyLocals_supported(l))
        return;
    out->unreadable = true;
    uint64_t names_at;
    if (!PyMem_read_u64(pid, frame->code + l->co_localsnames, &names_at))
        return;
    uint64_t names[PY_LOCALS_MAX];
    int64_t total = read_tuple(pid, l, names_at, names, PY_LOCALS_MAX);
    if (total < 0)
        return;
    uint8_t kinds[PY_LOCALS_MAX];
    if (l->co_nlocals) { /* before 3.11: co_nlocals plain locals first */
        int32_t nlocals;
        if (!PyMem_read(pid, frame->code + l->co_nlocals, &nlocals, sizeof(nlocals)) ||
            nlocals < 0 || nlocals > total)
            return;
        total = nlocals;
        memset(kinds, CO_FAST_LOCAL, sizeof(kinds));
    }
    size_t n = (size_t)total < PY_LOCALS_MAX ? (size_t)total : PY_LOCALS_MAX;
    if (l->co_localskinds) {
        uint64_t kinds_at;
        int64_t kinds_len;
        if (!PyMem_read_u64(pid, frame->code + l->co_localskinds, &kinds_at) ||
            !PyMem_read(pid, kinds_at + l->bytes_size, &kinds_len, sizeof(kinds_len)) ||
            kinds_len != total || (n && !PyMem_read(pid, kinds_at + l->bytes_data, kinds, n)))
            return;
    }
    uint64_t slots[PY_LOCALS_MAX];
    if (n && !PyMem_read(pid, frame->addr + l->fr_localsplus, slots, n * sizeof(*slots)))
        return;
    /* Before 3.11, locals that inner functions capture are cells in the
     * slots after the plain ones (an argument's own slot then empty). */
    uint64_t cell_names[PY_LOCALS_MAX], cells[PY_LOCALS_MAX];
    size_t ncells = 0;
    uint64_t cellvars_at;
    if (l->co_cellvars && n == (size_t)total &&
        PyMem_read_u64(pid, frame->code + l->co_cellvars, &cellvars_at)) {
        int64_t c = read_tuple(pid, l, cellvars_at, cell_names, PY_LOCALS_MAX - n);
        if (c < 0)
            return;
        ncells = (size_t)c < PY_LOCALS_MAX - n ? (size_t)c : PY_LOCALS_MAX - n;
        if (ncells && !PyMem_read(pid, frame->addr + l->fr_localsplus + n * 8, cells,
                                  ncells * sizeof(*cells)))
            return;
        if ((size_t)c > ncells)
            out->more = true;
    }
    out->unreadable = false;
    out->more = out->more || (size_t)total > n;
    out->locals = xcalloc(n + ncells ? n + ncells : 1, sizeof(*out->locals));
    char name[NAME_CHARS * 4 + 1];
    for (size_t i = 0; i < n; i++) {
        if ((kinds[i] & CO_FAST_HIDDEN) || !(kinds[i] & (CO_FAST_LOCAL | CO_FAST_CELL)))
            continue;
        PyLocal *v = &out->locals[out->count++];
        v->name =
            xstrdup(PyStr_read(pid, l, names[i], NAME_CHARS, name, sizeof(name)) >= 0 ? name : "?");
        describe(pid, l, types, slots[i] & ~l->code_tag_bits, (kinds[i] & CO_FAST_CELL) != 0, v);
    }
    for (size_t i = 0; i < ncells; i++) {
        const char *cell_name =
            PyStr_read(pid, l, cell_names[i], NAME_CHARS, name, sizeof(name)) >= 0 ? name : "?";
        PyLocal *v = NULL;
        for (size_t k = 0; k < out->count && !v; k++)
            if (out->locals[k].kind == PY_LOCAL_UNBOUND &&
                strcmp(out->locals[k].name, cell_name) == 0)
                v = &out->locals[k];
        if (v) {
            free(v->name);
            free(v->type);
            free(v->value);
            memset(v, 0, sizeof(*v));
        } else {
            v = &out->locals[out->count++];
        }
        v->name = xstrdup(cell_name);
        describe(pid, l, types, cells[i], true, v);
    }
}
