#include "config.h"

#include "pyframes.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "codepieces.h"
#include "hashindex.h"
#include "pylayout.h"
#include "util.h"

#define MAX_INTERPRETERS 16
#define MAX_THREAD_STATES 4096
#define MAX_NAME_CHARS 1024
#define MAX_LINETABLE_BYTES (256u << 10)
#define MAX_DATASTACK_BYTES (256u << 10)
#define STACK_CHUNK_HEADER 24 /* previous, size, top */
#define THREAD_REFRESH_NS (1000u * 1000 * 1000)
/* Before 3.11 frames are heap objects: the bytes read of one frame object. */
#define OLD_FRAME_BYTES 112
#define PREFETCH_THREADS 256
#define PREFETCH_SLOTS (2 * PY_MAX_FRAMES) /* a power of two */
#define CODE_REVERIFY_NS (1000u * 1000 * 1000)
#define CODE_MAX_ENTRIES 32768 /* then the cache starts over */
#define PY_EVAL_PIECES 8

/* 3.12+ _PyInterpreterFrame.owner: the entry frame of an evaluation loop
 * call (FRAME_OWNED_BY_CSTACK in 3.12 and 3.13, FRAME_OWNED_BY_INTERPRETER
 * from 3.14), on the C stack; higher values (3.14's FRAME_OWNED_BY_CSTACK)
 * are not Python frames either. */
#define FRAME_OWNED_BY_ENTRY 3

/* What a thread state holds, read in one go. */
typedef struct ThreadEntry {
    uint64_t tstate;
    uint64_t key; /* native thread id (3.11+) or pthread_t */
} ThreadEntry;

/* Before 3.11: the frame addresses of a thread's last walk. The next stop
 * reads them all in one process_vm_readv; the walk uses those bytes for the
 * frames it reaches through f_back (a frame still on the chain is live, and
 * was read during this stop), and reads only the new ones one by one. */
typedef struct PrevWalk {
    uint64_t tstate;
    uint64_t *addrs;
    size_t count;
    unsigned used; /* for eviction */
} PrevWalk;

typedef struct CodeEntry {
    uint64_t addr; /* 0: not loaded (its last reload failed) */
    uint64_t verified_ns;
    StrId name, file;
    int firstlineno;
    uint8_t *linetable;
    size_t linetable_len;
    bool valid;
    /* Symtab frames per instruction offset, small direct cache. */
    int32_t last_lasti;
    FrameId last_frame;
    Symtab *last_symtab;
} CodeEntry;

struct PyFrames {
    pid_t pid;
    PyLayout layout;
    char version[32];
    uint64_t runtime;   /* &_PyRuntime */
    uint64_t code_type; /* &PyCode_Type */
    /* The evaluation loop's code: its function and the pieces split off it. */
    CodeRange eval[PY_EVAL_PIECES];
    size_t eval_count;
    uint64_t module_start, module_end;
    /* Thread states, by key. */
    ThreadEntry *threads;
    size_t thread_count;
    uint64_t threads_read_ns;
    bool threads_stale;
    uint64_t gil_holder; /* tstate holding the GIL at the tick's start, or 0 */
    uint64_t gil_ptr;    /* >= 3.12: the interpreter's _gil_runtime_state */
    /* Scratch for the frame stack chunk, while a thread is stopped. */
    uint8_t *chunk;
    uint64_t chunk_addr;
    size_t chunk_len;
    /* Before 3.11: prefetched frame objects and where each one is. */
    PrevWalk walks[PREFETCH_THREADS];
    unsigned walk_clock;
    uint8_t *prefetch; /* PY_MAX_FRAMES x OLD_FRAME_BYTES */
    uint64_t prefetch_keys[PREFETCH_SLOTS];
    uint16_t prefetch_index[PREFETCH_SLOTS];
    size_t prefetched;
    CodeEntry *codes; /* in insertion order, found through code_index */
    size_t code_cap, code_used;
    HashIndex code_index; /* code object address -> index in codes */
};

static bool
read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    if (addr == 0 || len == 0 || addr + len < addr)
        return false;
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static bool
read_u64(pid_t pid, uint64_t addr, uint64_t *out)
{
    return read_mem(pid, addr, out, sizeof(*out));
}

static uint64_t
get_u64(const uint8_t *buf, uint64_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, sizeof(v));
    return v;
}

/* ---- finding the interpreter ------------------------------------------- */

static int
minor_from_path(const char *path)
{
    regex_t re;
    if (regcomp(&re, "python3\\.([0-9]+)", REG_EXTENDED) != 0)
        return -1;
    regmatch_t m[2];
    int minor = -1;
    if (regexec(&re, path, 2, m, 0) == 0)
        minor = atoi(path + m[1].rm_so);
    regfree(&re);
    return minor;
}

/* 3.13+: the layout comes from the interpreter itself. */
static bool
layout_from_debug_offsets(PyFrames *py, uint64_t runtime_size, char **cause)
{
    uint8_t d[PY_DEBUG_OFFSETS_MAX_BYTES];
    uint32_t hex = 0;
    PyDebugOffsetsResult r = PY_OFFSETS_NONE;
    if (read_mem(py->pid, py->runtime, d, sizeof(d)))
        r = PyLayout_from_debug_offsets(d, sizeof(d), runtime_size, &hex, &py->layout);
    switch (r) {
    case PY_OFFSETS_OK:
        return true;
    case PY_OFFSETS_NONE:
        *cause = xasprintf("CPython %s: no _Py_DebugOffsets at _PyRuntime", py->version);
        return false;
    case PY_OFFSETS_FREE_THREADED:
        *cause = xasprintf("CPython %s is a free-threaded build, not supported yet", py->version);
        return false;
    case PY_OFFSETS_UNKNOWN:
        *cause = xasprintf("CPython %s is newer than this spytop: its _Py_DebugOffsets layout is "
                           "not one of %s's; Python frames need a newer spytop",
                           py->version, PyLayout_known_debug_offsets());
        return false;
    case PY_OFFSETS_INVALID:
        break;
    }
    *cause = xasprintf("CPython %s: its _Py_DebugOffsets (declared version %u.%u) fail spytop's "
                       "checks; Python frames not read",
                       py->version, (hex >> 24) & 0xff, (hex >> 16) & 0xff);
    return false;
}

static bool
choose_layout(PyFrames *py, int minor, uint64_t runtime_size, char **cause)
{
    if (minor >= 13)
        return layout_from_debug_offsets(py, runtime_size, cause);
    if (PyLayout_for_minor(minor, &py->layout))
        return true;
    *cause = xasprintf("CPython %s is not supported (3.8 and later are)", py->version);
    return false;
}

/* ---- thread states ------------------------------------------------------ */

static void
read_thread_states(PyFrames *py)
{
    const PyLayout *l = &py->layout;
    py->thread_count = 0;
    py->threads_read_ns = Util_now_ns();
    py->threads_stale = false;
    uint64_t interp;
    if (!read_u64(py->pid, py->runtime + l->rt_interpreters_head, &interp))
        return;
    size_t cap = 0;
    for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
        uint64_t ts;
        if (!read_u64(py->pid, interp + l->is_threads_head, &ts))
            break;
        for (size_t n = 0; ts && n < MAX_THREAD_STATES; n++) {
            uint64_t key, next;
            uint64_t key_off = l->ts_native_thread_id ? l->ts_native_thread_id : l->ts_thread_id;
            if (!read_u64(py->pid, ts + key_off, &key) ||
                !read_u64(py->pid, ts + l->ts_next, &next))
                break;
            py->threads = xgrow(py->threads, &cap, py->thread_count + 1, sizeof(ThreadEntry));
            py->threads[py->thread_count++] = (ThreadEntry){ts, key};
            if (next == ts)
                break;
            ts = next;
        }
        uint64_t next_interp;
        if (!read_u64(py->pid, interp + l->is_next, &next_interp) || next_interp == interp)
            break;
        interp = next_interp;
    }
}

static uint64_t
find_tstate(const PyFrames *py, uint64_t key)
{
    for (size_t i = 0; i < py->thread_count; i++)
        if (py->threads[i].key == key)
            return py->threads[i].tstate;
    return 0;
}

PyFrames *
PyFrames_open(pid_t pid, Symbolizer *symbolizer, Images *images, char **cause)
{
    *cause = NULL;
    SymbolQuery q[] = {
        {.name = "_PyRuntime"},
        {.name = "PyCode_Type"},
        {.name = "_PyEval_EvalFrameDefault"},
        {.name = "Py_Version"},
    };
    uint64_t start = 0, end = 0;
    const char *path = NULL;
    if (Symbolizer_find_symbols(symbolizer, "python", q, ARRAY_SIZE(q), &start, &end, &path) == 0)
        return NULL; /* not CPython (or one too old to have _PyRuntime) */
    PyFrames *py = xcalloc(1, sizeof(*py));
    py->pid = pid;
    py->runtime = q[0].addr;
    py->code_type = q[1].found ? q[1].addr : 0;
    if (q[2].found) {
        py->eval_count = CodePieces_find(images, q[2].addr, py->eval, PY_EVAL_PIECES);
        if (py->eval_count == 0) { /* no FDE: the symbol's own extent */
            py->eval[0] = (CodeRange){q[2].addr, q[2].addr + (q[2].size ? q[2].size : 1)};
            py->eval_count = 1;
        }
    }
    py->module_start = start;
    py->module_end = end;

    /* The version: Py_Version (3.11+), else the one 3.13+'s debug offsets
     * declare, else the module's name (python3.9, libpython3.8.so). */
    uint32_t hex = 0;
    uint8_t head[16];
    if (!(q[3].found && read_mem(pid, q[3].addr, &hex, sizeof(hex))) &&
        read_mem(pid, py->runtime, head, sizeof(head)) && memcmp(head, "xdebugpy", 8) == 0)
        memcpy(&hex, head + 8, sizeof(hex));
    int major = 3, minor;
    if (hex) {
        major = (int)(hex >> 24);
        minor = (int)((hex >> 16) & 0xff);
        snprintf(py->version, sizeof(py->version), "%d.%d.%d", major, minor,
                 (int)((hex >> 8) & 0xff));
    } else {
        minor = minor_from_path(path);
        snprintf(py->version, sizeof(py->version), "3.%d", minor);
    }
    if (major != 3 || minor < 8) {
        *cause = xasprintf("CPython %s is not supported (3.8 and later are)", py->version);
        goto fail;
    }
    if (!choose_layout(py, minor, q[0].size, cause))
        goto fail;
    if (!py->code_type) {
        *cause = xasprintf("CPython %s: PyCode_Type not found in %s", py->version, path);
        goto fail;
    }
    read_thread_states(py);
    if (py->thread_count == 0) {
        *cause = xasprintf("CPython %s in %s: no thread state found through _PyRuntime "
                           "(not initialised yet, or finalising)",
                           py->version, path);
        goto fail;
    }
    return py;
fail:
    PyFrames_delete(py);
    return NULL;
}

static void
free_code(CodeEntry *e)
{
    free(e->linetable);
    memset(e, 0, sizeof(*e));
}

void
PyFrames_delete(PyFrames *py)
{
    if (!py)
        return;
    for (size_t i = 0; i < py->code_used; i++)
        free_code(&py->codes[i]);
    for (size_t i = 0; i < PREFETCH_THREADS; i++)
        free(py->walks[i].addrs);
    free(py->codes);
    HashIndex_done(&py->code_index);
    free(py->threads);
    free(py->chunk);
    free(py->prefetch);
    free(py);
}

const char *
PyFrames_version(const PyFrames *py)
{
    return py->version;
}

bool
PyFrames_is_eval_pc(const PyFrames *py, uint64_t pc)
{
    return CodePieces_contain(py->eval, py->eval_count, pc);
}

bool
PyFrames_is_interpreter_pc(const PyFrames *py, uint64_t pc)
{
    return pc >= py->module_start && pc < py->module_end;
}

void
PyFrames_begin_tick(PyFrames *py)
{
    const PyLayout *l = &py->layout;
    uint64_t now = Util_now_ns();
    if (py->threads_stale || now - py->threads_read_ns > THREAD_REFRESH_NS)
        read_thread_states(py);
    py->gil_holder = 0;
    if (l->rt_gil_holder) {
        read_u64(py->pid, py->runtime + l->rt_gil_holder, &py->gil_holder);
    } else if ((l->is_gil || l->gil_in_interp) && py->thread_count) {
        /* The GIL of the main interpreter. */
        uint64_t interp, gil = 0, holder = 0;
        int32_t locked = 0;
        if (!read_u64(py->pid, py->runtime + l->rt_interpreters_head, &interp))
            return;
        if (l->gil_in_interp)
            gil = interp;
        else if (!read_u64(py->pid, interp + l->is_gil, &gil))
            return;
        if (gil && read_mem(py->pid, gil + l->gil_locked, &locked, sizeof(locked)) &&
            read_u64(py->pid, gil + l->gil_holder, &holder) && locked)
            py->gil_holder = holder;
    }
}

/* ---- while the thread is stopped --------------------------------------- */

static PrevWalk *
prev_walk(PyFrames *py, uint64_t tstate)
{
    PrevWalk *oldest = &py->walks[0];
    for (size_t i = 0; i < PREFETCH_THREADS; i++) {
        PrevWalk *w = &py->walks[i];
        if (w->tstate == tstate) {
            w->used = ++py->walk_clock;
            return w;
        }
        if (w->used < oldest->used)
            oldest = w;
    }
    oldest->tstate = tstate;
    oldest->count = 0;
    oldest->used = ++py->walk_clock;
    return oldest;
}

/* Reads the thread state (ts_len bytes into ts) and every frame object of
 * the thread's last walk in one system call. Returns whether the thread
 * state was read. */
static bool
read_state_and_frames(PyFrames *py, uint64_t tstate, uint8_t *ts, size_t ts_len, const PrevWalk *w)
{
    py->prefetched = 0;
    memset(py->prefetch_keys, 0, sizeof(py->prefetch_keys));
    if (!py->prefetch)
        py->prefetch = xmalloc((size_t)PY_MAX_FRAMES * OLD_FRAME_BYTES);
    struct iovec local[2] = {{ts, ts_len}, {py->prefetch, w->count * OLD_FRAME_BYTES}};
    struct iovec remote[PY_MAX_FRAMES + 1];
    remote[0] = (struct iovec){(void *)(uintptr_t)tstate, ts_len};
    for (size_t i = 0; i < w->count; i++)
        remote[i + 1] = (struct iovec){(void *)(uintptr_t)w->addrs[i], OLD_FRAME_BYTES};
    ssize_t n =
        process_vm_readv(py->pid, local, w->count ? 2 : 1, remote, (unsigned long)w->count + 1, 0);
    if (n < (ssize_t)ts_len)
        return false;
    size_t whole = ((size_t)n - ts_len) / OLD_FRAME_BYTES;
    for (size_t i = 0; i < whole; i++) {
        size_t j = Util_mix64(w->addrs[i]) & (PREFETCH_SLOTS - 1);
        while (py->prefetch_keys[j] && py->prefetch_keys[j] != w->addrs[i])
            j = (j + 1) & (PREFETCH_SLOTS - 1);
        py->prefetch_keys[j] = w->addrs[i];
        py->prefetch_index[j] = (uint16_t)i;
    }
    py->prefetched = whole;
    return true;
}

static const uint8_t *
prefetched_frame(const PyFrames *py, uint64_t addr)
{
    if (!py->prefetched || !addr)
        return NULL;
    size_t j = Util_mix64(addr) & (PREFETCH_SLOTS - 1);
    while (py->prefetch_keys[j]) {
        if (py->prefetch_keys[j] == addr)
            return py->prefetch + (size_t)py->prefetch_index[j] * OLD_FRAME_BYTES;
        j = (j + 1) & (PREFETCH_SLOTS - 1);
    }
    return NULL;
}

/* Reads len bytes at addr from the copy of the frame chunk or the
 * prefetched frame objects when they hold them, else from the target. */
static bool
read_frame_mem(PyFrames *py, uint64_t addr, void *buf, size_t len)
{
    const uint8_t *pre = len <= OLD_FRAME_BYTES ? prefetched_frame(py, addr) : NULL;
    if (pre) {
        memcpy(buf, pre, len);
        return true;
    }
    if (py->chunk_len && addr >= py->chunk_addr && addr - py->chunk_addr <= py->chunk_len &&
        len <= py->chunk_len - (addr - py->chunk_addr)) {
        memcpy(buf, py->chunk + (addr - py->chunk_addr), len);
        return true;
    }
    return read_mem(py->pid, addr, buf, len);
}

/* The frame stack of 3.11+ lives in chunks; the used part of the current
 * one holds the innermost frames: one copy instead of a read per frame. */
static void
copy_frame_chunk(PyFrames *py, const uint8_t *ts)
{
    const PyLayout *l = &py->layout;
    py->chunk_len = 0;
    uint64_t chunk = get_u64(ts, l->ts_datastack_chunk);
    uint64_t top = get_u64(ts, l->ts_datastack_top);
    if (!chunk || top <= chunk || top - chunk > MAX_DATASTACK_BYTES)
        return;
    size_t len = (size_t)(top - chunk);
    if (!py->chunk)
        py->chunk = xmalloc(MAX_DATASTACK_BYTES);
    if (read_mem(py->pid, chunk, py->chunk, len)) {
        py->chunk_addr = chunk;
        py->chunk_len = len;
    }
}

static void
walk_frames(PyFrames *py, uint64_t frame, PyRawStack *out, PrevWalk *walk)
{
    const PyLayout *l = &py->layout;
    size_t header = l->fr_read;
    uint8_t f[PY_FRAME_READ_MAX];
    size_t walked = 0;
    uint64_t prev_frame = 0;
    while (frame && out->count < PY_MAX_FRAMES) {
        if (frame == prev_frame || !read_frame_mem(py, frame, f, header)) {
            out->truncated = true;
            return;
        }
        prev_frame = frame;
        if (walk) {
            if (!walk->addrs)
                walk->addrs = xmalloc(PY_MAX_FRAMES * sizeof(uint64_t));
            walk->addrs[walked++] = frame;
            walk->count = walked;
        }
        uint64_t code = get_u64(f, l->fr_code) & ~l->code_tag_bits;
        uint64_t previous = get_u64(f, l->fr_previous);
        if (l->lines != PY_LINES_LOCATIONS) {
            int32_t lasti;
            memcpy(&lasti, f + l->fr_lasti, sizeof(lasti));
            /* One evaluation loop call per frame before 3.11. */
            out->frames[out->count++] = (PyRawFrame){code, lasti, true};
        } else {
            uint8_t owner = f[l->fr_owner];
            if (l->minor >= 12 && owner >= FRAME_OWNED_BY_ENTRY) {
                /* The entry shim of an evaluation loop call: the frame
                 * before it closes a group. */
                if (out->count && owner == FRAME_OWNED_BY_ENTRY)
                    out->frames[out->count - 1].group_end = true;
            } else {
                uint64_t instr = get_u64(f, l->fr_instr);
                uint64_t first = code + l->co_code_adaptive;
                int32_t lasti = instr >= first && instr - first < (1u << 30)
                                    ? (int32_t)((instr - first) / 2)
                                    : -1;
                bool entry = l->minor == 11 && f[l->fr_is_entry];
                out->frames[out->count++] = (PyRawFrame){code, lasti, entry};
            }
        }
        frame = previous;
    }
    if (frame)
        out->truncated = true;
}

void
PyFrames_read(PyFrames *py, pid_t tid, const ArchRegs *regs, const uint8_t *stack,
              uint64_t stack_addr, size_t stack_len, PyRawStack *out)
{
    const PyLayout *l = &py->layout;
    out->present = out->holds_gil = out->truncated = false;
    out->count = 0;
    uint64_t key = l->ts_native_thread_id ? (uint64_t)tid : Arch_thread_pointer(regs);
    uint64_t tstate = find_tstate(py, key);
    if (!tstate)
        return;
    uint8_t ts[PY_TS_READ_MAX];
    size_t ts_len = l->ts_read;
    PrevWalk *walk = l->lines == PY_LINES_LOCATIONS ? NULL : prev_walk(py, tstate);
    bool got = walk ? read_state_and_frames(py, tstate, ts, ts_len, walk)
                    : read_mem(py->pid, tstate, ts, ts_len);
    if (!got) {
        py->threads_stale = true;
        py->prefetched = 0;
        return;
    }
    uint64_t key_now =
        get_u64(ts, l->ts_native_thread_id ? l->ts_native_thread_id : l->ts_thread_id);
    if (key_now != key) {
        py->threads_stale = true; /* the state was freed and reused */
        py->prefetched = 0;
        return;
    }
    out->present = true;
    out->holds_gil = tstate == py->gil_holder;
    uint64_t frame;
    py->chunk_len = 0;
    if (l->ts_cframe) {
        /* 3.11, 3.12: tstate->cframe->current_frame; the _PyCFrame is a
         * local of the evaluation loop, usually in the C stack copy. */
        uint64_t cframe = get_u64(ts, l->ts_cframe);
        uint64_t at = cframe + l->cframe_frame;
        if (at >= stack_addr && at - stack_addr + 8 <= stack_len)
            memcpy(&frame, stack + (at - stack_addr), 8);
        else if (!read_u64(py->pid, at, &frame))
            return;
    } else {
        frame = get_u64(ts, l->ts_frame);
    }
    if (l->lines == PY_LINES_LOCATIONS)
        copy_frame_chunk(py, ts);
    else
        walk->count = 0; /* rewritten by this walk */
    walk_frames(py, frame, out, walk);
    py->chunk_len = 0;
    py->prefetched = 0;
}

/* ---- after the thread resumed ------------------------------------------ */

/* A str object as UTF-8 into a symtab string. */
static StrId
read_str(PyFrames *py, uint64_t addr, Symtab *symtab)
{
    const PyLayout *l = &py->layout;
    uint8_t head[256]; /* the ASCII head, which holds length and state */
    if (l->ascii_size > sizeof(head) || !read_mem(py->pid, addr, head, (size_t)l->ascii_size))
        return SYMTAB_EMPTY;
    int64_t length;
    uint32_t state;
    memcpy(&length, head + l->str_length, sizeof(length));
    memcpy(&state, head + l->str_state, sizeof(state));
    unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
    if (!compact || length < 0 || (kind != 1 && kind != 2 && kind != 4))
        return SYMTAB_EMPTY;
    if (length > MAX_NAME_CHARS)
        length = MAX_NAME_CHARS;
    uint64_t data = addr + (ascii ? l->ascii_size : l->compact_size);
    size_t bytes = (size_t)length * kind;
    uint8_t raw[MAX_NAME_CHARS * 4];
    if (bytes && !read_mem(py->pid, data, raw, bytes))
        return SYMTAB_EMPTY;
    char utf8[MAX_NAME_CHARS * 4 + 1];
    size_t n = 0;
    for (int64_t i = 0; i < length; i++) {
        uint32_t c;
        if (kind == 1) {
            c = raw[i];
        } else if (kind == 2) {
            uint16_t v;
            memcpy(&v, raw + i * 2, 2);
            c = v;
        } else {
            memcpy(&c, raw + i * 4, 4);
        }
        if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            c = 0xfffd;
        if (c < 0x80) {
            utf8[n++] = (char)c;
        } else if (c < 0x800) {
            utf8[n++] = (char)(0xc0 | (c >> 6));
            utf8[n++] = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            utf8[n++] = (char)(0xe0 | (c >> 12));
            utf8[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
            utf8[n++] = (char)(0x80 | (c & 0x3f));
        } else {
            utf8[n++] = (char)(0xf0 | (c >> 18));
            utf8[n++] = (char)(0x80 | ((c >> 12) & 0x3f));
            utf8[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
            utf8[n++] = (char)(0x80 | (c & 0x3f));
        }
    }
    return Symtab_intern_string(symtab, utf8, n);
}

static uint8_t *
read_bytes_object(PyFrames *py, uint64_t addr, size_t *len)
{
    int64_t size;
    *len = 0;
    if (!read_mem(py->pid, addr + py->layout.bytes_size, &size, sizeof(size)) || size < 0 ||
        (uint64_t)size > MAX_LINETABLE_BYTES)
        return NULL;
    uint8_t *buf = xmalloc((size_t)size + 1);
    if (size && !read_mem(py->pid, addr + py->layout.bytes_data, buf, (size_t)size)) {
        free(buf);
        return NULL;
    }
    *len = (size_t)size;
    return buf;
}

static bool
load_code(PyFrames *py, CodeEntry *e, uint64_t addr, Symtab *symtab)
{
    const PyLayout *l = &py->layout;
    uint8_t co[PY_CODE_READ_MAX];
    uint64_t need = l->co_code_adaptive ? l->co_code_adaptive : 128;
    if (need > sizeof(co) || !read_mem(py->pid, addr, co, (size_t)need))
        return false;
    if (get_u64(co, l->ob_type) != py->code_type)
        return false; /* not a code object */
    int32_t firstlineno;
    memcpy(&firstlineno, co + l->co_firstlineno, sizeof(firstlineno));
    uint64_t name = get_u64(co, l->co_qualname ? l->co_qualname : l->co_name);
    e->addr = addr;
    e->name = read_str(py, name, symtab);
    e->file = read_str(py, get_u64(co, l->co_filename), symtab);
    e->firstlineno = firstlineno;
    e->linetable = read_bytes_object(py, get_u64(co, l->co_linetable), &e->linetable_len);
    e->verified_ns = Util_now_ns();
    e->valid = true;
    e->last_lasti = INT32_MIN;
    return true;
}

/* 3.11+ location table varints: 6 bits a byte, 0x40 = more. */
static bool
read_varint(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (*p >= end || shift > 28)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 63) << shift;
        shift += 6;
        if (!(b & 64))
            break;
    }
    *out = v;
    return true;
}

static bool
read_svarint(const uint8_t **p, const uint8_t *end, int32_t *out)
{
    uint32_t v;
    if (!read_varint(p, end, &v))
        return false;
    *out = (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
    return true;
}

static int
line_from_locations(const uint8_t *p, const uint8_t *end, int line, int32_t lasti)
{
    int32_t addr = 0;
    while (p < end) {
        uint8_t first = *p++;
        if (!(first & 0x80))
            return -1;
        unsigned code = (first >> 3) & 15;
        int32_t length = (first & 7) + 1, delta = 0;
        if (code == 15) {
            delta = 0;
        } else if (code == 14) {
            uint32_t skip;
            if (!read_svarint(&p, end, &delta) || !read_varint(&p, end, &skip) ||
                !read_varint(&p, end, &skip) || !read_varint(&p, end, &skip))
                return -1;
        } else if (code == 13) {
            if (!read_svarint(&p, end, &delta))
                return -1;
        } else if (code >= 10) {
            delta = (int32_t)code - 10;
            p += 2;
        } else {
            p += 1;
        }
        line += delta;
        if (lasti >= addr && lasti < addr + length)
            return code == 15 ? -1 : line;
        addr += length;
    }
    return -1;
}

/* 3.10: (start delta, line delta) byte pairs; -128 = no line. */
static int
line_from_linetable(const uint8_t *p, const uint8_t *end, int line, int32_t lasti)
{
    int32_t target = lasti * 2, start = 0;
    int current = -1;
    while (p + 1 < end) {
        uint8_t sdelta = p[0];
        int8_t ldelta = (int8_t)p[1];
        p += 2;
        int32_t stop = start + sdelta;
        if (ldelta == -128) {
            current = -1;
        } else {
            line += ldelta;
            current = line;
        }
        if (target >= start && target < stop)
            return current;
        start = stop;
    }
    return -1;
}

/* 3.8, 3.9: (address delta, line delta) byte pairs. */
static int
line_from_lnotab(const uint8_t *p, const uint8_t *end, int line, int32_t lasti)
{
    int32_t addr = 0;
    while (p + 1 < end) {
        addr += p[0];
        if (addr > lasti)
            break;
        line += (int8_t)p[1];
        p += 2;
    }
    return line;
}

static int
code_line(const PyFrames *py, const CodeEntry *e, int32_t lasti)
{
    if (!e->linetable || lasti < 0)
        return e->firstlineno;
    const uint8_t *p = e->linetable, *end = e->linetable + e->linetable_len;
    switch (py->layout.lines) {
    case PY_LINES_LNOTAB:
        return line_from_lnotab(p, end, e->firstlineno, lasti);
    case PY_LINES_LINETABLE:
        return line_from_linetable(p, end, e->firstlineno, lasti);
    case PY_LINES_LOCATIONS:
        return line_from_locations(p, end, e->firstlineno, lasti);
    }
    return -1;
}

/* The cache entry of the code object at addr: a new one (addr 0, not
 * loaded) the first time. */
static CodeEntry *
code_slot(PyFrames *py, uint64_t addr)
{
    uint32_t i = HashIndex_find(&py->code_index, addr, NULL, NULL);
    if (i != HASHINDEX_NONE)
        return &py->codes[i];
    /* Bounded: start over rather than grow past CODE_MAX_ENTRIES. */
    if (py->code_used >= CODE_MAX_ENTRIES) {
        for (size_t j = 0; j < py->code_used; j++)
            free_code(&py->codes[j]);
        py->code_used = 0;
        HashIndex_clear(&py->code_index);
    }
    py->codes = xgrow(py->codes, &py->code_cap, py->code_used + 1, sizeof(CodeEntry));
    HashIndex_add(&py->code_index, addr, (uint32_t)py->code_used);
    CodeEntry *e = &py->codes[py->code_used++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* A cached code object is checked again now and then: its address may
 * have been freed and reused by another since it was read. */
static bool
still_same_code(PyFrames *py, CodeEntry *e)
{
    uint64_t now = Util_now_ns();
    if (now - e->verified_ns < CODE_REVERIFY_NS)
        return true;
    const PyLayout *l = &py->layout;
    uint64_t type;
    int32_t firstlineno;
    if (!read_u64(py->pid, e->addr + l->ob_type, &type) ||
        !read_mem(py->pid, e->addr + l->co_firstlineno, &firstlineno, sizeof(firstlineno)) ||
        type != py->code_type || firstlineno != e->firstlineno)
        return false;
    e->verified_ns = now;
    return true;
}

FrameId
PyFrames_resolve(PyFrames *py, const PyRawFrame *frame, Symtab *symtab)
{
    CodeEntry *e = code_slot(py, frame->code);
    if (e->addr && !still_same_code(py, e))
        free_code(e);
    if (!e->addr) {
        if (!load_code(py, e, frame->code, symtab)) {
            free_code(e);
            SymtabFrame bad = {.function = Symtab_intern_cstr(symtab, "<unreadable Python frame>"),
                               .kind = FRAME_PYTHON};
            return Symtab_intern_frame(symtab, &bad);
        }
    }
    if (e->last_symtab == symtab && e->last_lasti == frame->lasti)
        return e->last_frame;
    int line = code_line(py, e, frame->lasti);
    SymtabFrame f = {
        .function = e->name,
        .file = e->file,
        .line = line > 0 ? (uint32_t)line : 0,
        .kind = FRAME_PYTHON,
    };
    e->last_frame = Symtab_intern_frame(symtab, &f);
    e->last_lasti = frame->lasti;
    e->last_symtab = symtab;
    return e->last_frame;
}
