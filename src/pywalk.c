#include "config.h"

#include "pywalk.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pymem.h"
#include "util.h"

#define MAX_DATASTACK_BYTES (256u << 10)
/* Before 3.11 frames are heap objects: the bytes read of one frame object. */
#define OLD_FRAME_BYTES 112
#define PREFETCH_THREADS 256
#define PREFETCH_SLOTS (2 * PY_MAX_FRAMES) /* a power of two */

/* 3.12+ _PyInterpreterFrame.owner: the entry frame of an evaluation loop
 * call (FRAME_OWNED_BY_CSTACK in 3.12 and 3.13, FRAME_OWNED_BY_INTERPRETER
 * from 3.14), on the C stack; higher values (3.14's FRAME_OWNED_BY_CSTACK)
 * are not Python frames either. */
#define FRAME_OWNED_BY_ENTRY 3

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

struct PyWalker {
    pid_t pid;
    PyLayout layout;
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
};

PyWalker *
PyWalker_new(pid_t pid, const PyLayout *layout)
{
    PyWalker *walker = xcalloc(1, sizeof(*walker));
    walker->pid = pid;
    walker->layout = *layout;
    return walker;
}

void
PyWalker_delete(PyWalker *walker)
{
    if (!walker)
        return;
    for (size_t i = 0; i < PREFETCH_THREADS; i++)
        free(walker->walks[i].addrs);
    free(walker->chunk);
    free(walker->prefetch);
    free(walker);
}

static PrevWalk *
prev_walk(PyWalker *walker, uint64_t tstate)
{
    PrevWalk *oldest = &walker->walks[0];
    for (size_t i = 0; i < PREFETCH_THREADS; i++) {
        PrevWalk *w = &walker->walks[i];
        if (w->tstate == tstate) {
            w->used = ++walker->walk_clock;
            return w;
        }
        if (w->used < oldest->used)
            oldest = w;
    }
    oldest->tstate = tstate;
    oldest->count = 0;
    oldest->used = ++walker->walk_clock;
    return oldest;
}

/* Reads the thread state (ts_len bytes into ts) and every frame object of
 * the thread's last walk in one system call. Returns whether the thread
 * state was read. */
static bool
read_state_and_frames(PyWalker *walker, uint64_t tstate, uint8_t *ts, size_t ts_len,
                      const PrevWalk *w)
{
    walker->prefetched = 0;
    memset(walker->prefetch_keys, 0, sizeof(walker->prefetch_keys));
    if (!walker->prefetch)
        walker->prefetch = xmalloc((size_t)PY_MAX_FRAMES * OLD_FRAME_BYTES);
    struct iovec local[2] = {{ts, ts_len}, {walker->prefetch, w->count * OLD_FRAME_BYTES}};
    struct iovec remote[PY_MAX_FRAMES + 1];
    remote[0] = (struct iovec){(void *)(uintptr_t)tstate, ts_len};
    for (size_t i = 0; i < w->count; i++)
        remote[i + 1] = (struct iovec){(void *)(uintptr_t)w->addrs[i], OLD_FRAME_BYTES};
    ssize_t n = process_vm_readv(walker->pid, local, w->count ? 2 : 1, remote,
                                 (unsigned long)w->count + 1, 0);
    if (n < (ssize_t)ts_len)
        return false;
    size_t whole = ((size_t)n - ts_len) / OLD_FRAME_BYTES;
    for (size_t i = 0; i < whole; i++) {
        size_t j = Util_mix64(w->addrs[i]) & (PREFETCH_SLOTS - 1);
        while (walker->prefetch_keys[j] && walker->prefetch_keys[j] != w->addrs[i])
            j = (j + 1) & (PREFETCH_SLOTS - 1);
        walker->prefetch_keys[j] = w->addrs[i];
        walker->prefetch_index[j] = (uint16_t)i;
    }
    walker->prefetched = whole;
    return true;
}

static const uint8_t *
prefetched_frame(const PyWalker *walker, uint64_t addr)
{
    if (!walker->prefetched || !addr)
        return NULL;
    size_t j = Util_mix64(addr) & (PREFETCH_SLOTS - 1);
    while (walker->prefetch_keys[j]) {
        if (walker->prefetch_keys[j] == addr)
            return walker->prefetch + (size_t)walker->prefetch_index[j] * OLD_FRAME_BYTES;
        j = (j + 1) & (PREFETCH_SLOTS - 1);
    }
    return NULL;
}

/* Reads len bytes at addr from the copy of the frame chunk or the
 * prefetched frame objects when they hold them, else from the target. */
static bool
read_frame_mem(PyWalker *walker, uint64_t addr, void *buf, size_t len)
{
    const uint8_t *pre = len <= OLD_FRAME_BYTES ? prefetched_frame(walker, addr) : NULL;
    if (pre) {
        memcpy(buf, pre, len);
        return true;
    }
    if (walker->chunk_len && addr >= walker->chunk_addr &&
        addr - walker->chunk_addr <= walker->chunk_len &&
        len <= walker->chunk_len - (addr - walker->chunk_addr)) {
        memcpy(buf, walker->chunk + (addr - walker->chunk_addr), len);
        return true;
    }
    return PyMem_read(walker->pid, addr, buf, len);
}

/* The frame stack of 3.11+ lives in chunks; the used part of the current
 * one holds the innermost frames: one copy instead of a read per frame. */
static void
copy_frame_chunk(PyWalker *walker, const uint8_t *ts)
{
    const PyLayout *l = &walker->layout;
    walker->chunk_len = 0;
    uint64_t chunk = PyMem_get_u64(ts, l->ts_datastack_chunk);
    uint64_t top = PyMem_get_u64(ts, l->ts_datastack_top);
    if (!chunk || top <= chunk || top - chunk > MAX_DATASTACK_BYTES)
        return;
    size_t len = (size_t)(top - chunk);
    if (!walker->chunk)
        walker->chunk = xmalloc(MAX_DATASTACK_BYTES);
    if (PyMem_read(walker->pid, chunk, walker->chunk, len)) {
        walker->chunk_addr = chunk;
        walker->chunk_len = len;
    }
}

static void
walk_frames(PyWalker *walker, uint64_t frame, PyRawStack *out, PrevWalk *walk)
{
    const PyLayout *l = &walker->layout;
    size_t header = l->fr_read;
    uint8_t f[PY_FRAME_READ_MAX];
    size_t walked = 0;
    uint64_t prev_frame = 0;
    while (frame && out->count < PY_MAX_FRAMES) {
        if (frame == prev_frame || !read_frame_mem(walker, frame, f, header)) {
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
        uint64_t code = PyMem_get_u64(f, l->fr_code) & ~l->code_tag_bits;
        uint64_t previous = PyMem_get_u64(f, l->fr_previous);
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
                uint64_t instr = PyMem_get_u64(f, l->fr_instr);
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

bool
PyWalker_read(PyWalker *walker, uint64_t tstate, uint64_t key, const uint8_t *stack,
              uint64_t stack_addr, size_t stack_len, PyRawStack *out)
{
    const PyLayout *l = &walker->layout;
    out->truncated = false;
    out->count = 0;
    uint8_t ts[PY_TS_READ_MAX];
    size_t ts_len = l->ts_read;
    PrevWalk *walk = l->lines == PY_LINES_LOCATIONS ? NULL : prev_walk(walker, tstate);
    bool got = walk ? read_state_and_frames(walker, tstate, ts, ts_len, walk)
                    : PyMem_read(walker->pid, tstate, ts, ts_len);
    uint64_t key_off = l->ts_native_thread_id ? l->ts_native_thread_id : l->ts_thread_id;
    if (!got || PyMem_get_u64(ts, key_off) != key) {
        walker->prefetched = 0; /* unreadable, or freed and reused */
        return false;
    }
    uint64_t frame;
    walker->chunk_len = 0;
    if (l->ts_cframe) {
        /* 3.11, 3.12: tstate->cframe->current_frame; the _PyCFrame is a
         * local of the evaluation loop, usually in the C stack copy. */
        uint64_t cframe = PyMem_get_u64(ts, l->ts_cframe);
        uint64_t at = cframe + l->cframe_frame;
        if (at >= stack_addr && at - stack_addr + 8 <= stack_len)
            memcpy(&frame, stack + (at - stack_addr), 8);
        else if (!PyMem_read_u64(walker->pid, at, &frame))
            return true;
    } else {
        frame = PyMem_get_u64(ts, l->ts_frame);
    }
    if (l->lines == PY_LINES_LOCATIONS)
        copy_frame_chunk(walker, ts);
    else
        walk->count = 0; /* rewritten by this walk */
    walk_frames(walker, frame, out, walk);
    walker->chunk_len = 0;
    walker->prefetched = 0;
    return true;
}
