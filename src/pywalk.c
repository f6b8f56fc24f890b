#include "config.h"

#include "pywalk.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pymem.h"
#include "util.h"

#define MAX_DATASTACK_BYTES (256u << 10) /* of one chunk, and of all copied */
/* 3.11+ _PyStackChunk: previous, size, top (in slots), then the slots. */
#define CHUNK_HEADER 24
#define MAX_CHUNKS 64
/* Before 3.11 frames are heap objects: the bytes read of one frame object. */
#define OLD_FRAME_BYTES 112
#define PREFETCH_THREADS 256
/* Frame objects closer than this are read as one range (with the bytes
 * between them): pymalloc puts a call chain's frames next to each other,
 * and one range costs the kernel one page walk instead of one per frame. */
#define PREFETCH_GAP 1024
/* Bytes of merged ranges at most; past them each frame is read alone (its
 * own OLD_FRAME_BYTES), so the buffer never holds more than their sum. */
#define PREFETCH_MERGED_BYTES (512u << 10)
#define PREFETCH_MAX_BYTES (PREFETCH_MERGED_BYTES + PY_MAX_FRAMES * OLD_FRAME_BYTES)

/* 3.12+ _PyInterpreterFrame.owner: the entry frame of an evaluation loop
 * call (FRAME_OWNED_BY_CSTACK in 3.12 and 3.13, FRAME_OWNED_BY_INTERPRETER
 * from 3.14), on the C stack; higher values (3.14's FRAME_OWNED_BY_CSTACK)
 * are not Python frames either. */
#define FRAME_OWNED_BY_ENTRY 3

/* What the last walk of a thread saw, so that the next stop reads in one
 * process_vm_readv what it will need. Before 3.11: the addresses of its
 * frame objects, read as few ranges; the walk uses those bytes for the
 * frames it reaches through f_back (a frame still on the chain is live,
 * and was read during this stop), and reads only the new ones one by one.
 * 3.11+: the frame stack chunk, read with the thread state (its used part
 * moves little from one stop to the next). */
typedef struct PrevWalk {
    uint64_t tstate;
    uint64_t *addrs;
    size_t count;
    unsigned used; /* for eviction */
    /* 3.11+: the frame stack chunk last seen, and how much of it to read
     * with the thread state next time. */
    uint64_t chunk;
    size_t chunk_read;
} PrevWalk;

/* A frame stack chunk's used part, copied to offset in the chunk buffer
 * (from the chunk's start, so its header too). */
typedef struct ChunkCopy {
    uint64_t addr;
    size_t len, offset;
} ChunkCopy;

/* A prefetched frame object: where its bytes are in the prefetch buffer. */
typedef struct Prefetched {
    uint64_t addr;
    size_t offset;
} Prefetched;

struct PyWalker {
    pid_t pid;
    PyLayout layout;
    /* 3.11+, while a thread is stopped: copies of the used part of its
     * frame stack chunks, the current one first, the older ones copied
     * when the walk reaches them; all in one buffer. */
    uint8_t *chunk;
    ChunkCopy copies[MAX_CHUNKS];
    size_t copy_count;
    size_t chunk_used; /* bytes of the buffer */
    bool chunks_done;  /* no older chunk left to copy */
    /* Before 3.11: prefetched frame objects and where each one is. */
    PrevWalk walks[PREFETCH_THREADS];
    unsigned walk_clock;
    uint8_t *prefetch; /* PREFETCH_MAX_BYTES, allocated on first use */
    Prefetched *pre;   /* by address; prefetched of them were read */
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
    free(walker->pre);
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
    oldest->chunk = 0;
    oldest->used = ++walker->walk_clock;
    return oldest;
}

static int
by_addr(const void *a, const void *b)
{
    uint64_t x = ((const Prefetched *)a)->addr, y = ((const Prefetched *)b)->addr;
    return x < y ? -1 : x > y;
}

/* Reads the thread state (ts_len bytes into ts) and every frame object of
 * the thread's last walk in one system call. Returns whether the thread
 * state was read. */
static bool
read_state_and_frames(PyWalker *walker, uint64_t tstate, uint8_t *ts, size_t ts_len,
                      const PrevWalk *w)
{
    walker->prefetched = 0;
    if (!walker->prefetch) {
        walker->prefetch = xmalloc(PREFETCH_MAX_BYTES);
        walker->pre = xmalloc(PY_MAX_FRAMES * sizeof(Prefetched));
    }
    Prefetched *pre = walker->pre;
    for (size_t i = 0; i < w->count; i++)
        pre[i] = (Prefetched){w->addrs[i], 0};
    qsort(pre, w->count, sizeof(*pre), by_addr);
    /* Ranges in address order, laid out one after another in the buffer. */
    struct iovec remote[PY_MAX_FRAMES + 1];
    remote[0] = (struct iovec){(void *)(uintptr_t)tstate, ts_len};
    size_t ranges = 0, total = 0, count = 0;
    uint64_t start = 0, end = 0;
    for (; count < w->count; count++) {
        uint64_t a = pre[count].addr, e = a + OLD_FRAME_BYTES;
        if (ranges && a <= end + PREFETCH_GAP &&
            (e <= end || total + (e - start) <= PREFETCH_MERGED_BYTES)) {
            if (e > end)
                end = e;
        } else {
            if (ranges)
                total += (size_t)(end - start);
            start = a;
            end = e;
            ranges++;
        }
        pre[count].offset = total + (size_t)(a - start);
        remote[ranges] = (struct iovec){(void *)(uintptr_t)start, (size_t)(end - start)};
    }
    if (ranges)
        total += (size_t)(end - start);
    struct iovec local[2] = {{ts, ts_len}, {walker->prefetch, total}};
    ssize_t n =
        process_vm_readv(walker->pid, local, ranges ? 2 : 1, remote, (unsigned long)ranges + 1, 0);
    if (n < (ssize_t)ts_len)
        return false;
    /* A range that could not be read ends the copy: the frames before it
     * are there. */
    size_t got = (size_t)n - ts_len;
    while (count > 0 && pre[count - 1].offset + OLD_FRAME_BYTES > got)
        count--;
    walker->prefetched = count;
    return true;
}

static const uint8_t *
prefetched_frame(const PyWalker *walker, uint64_t addr)
{
    if (!walker->prefetched || !addr)
        return NULL;
    Prefetched key = {addr, 0};
    const Prefetched *p = bsearch(&key, walker->pre, walker->prefetched, sizeof(key), by_addr);
    return p ? walker->prefetch + p->offset : NULL;
}

static const uint8_t *
in_chunk_copies(const PyWalker *walker, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < walker->copy_count; i++) {
        const ChunkCopy *c = &walker->copies[i];
        if (addr >= c->addr && addr - c->addr <= c->len && len <= c->len - (addr - c->addr))
            return walker->chunk + c->offset + (addr - c->addr);
    }
    return NULL;
}

/* Copies the used part of the chunk before the oldest one copied: where
 * the walk goes on once it leaves the copies (a deep stack). False when
 * there is none, or it cannot be read. */
static bool
copy_older_chunk(PyWalker *walker)
{
    if (walker->chunks_done || !walker->copy_count || walker->copy_count == MAX_CHUNKS)
        return false;
    walker->chunks_done = true;
    const ChunkCopy *last = &walker->copies[walker->copy_count - 1];
    uint64_t older = PyMem_get_u64(walker->chunk, last->offset); /* its previous */
    uint64_t head[3];
    if (!older || !PyMem_read(walker->pid, older, head, sizeof(head)))
        return false;
    uint64_t used = CHUNK_HEADER + head[2] * 8;
    if (head[2] > MAX_DATASTACK_BYTES / 8 || used > head[1] ||
        used > MAX_DATASTACK_BYTES - walker->chunk_used ||
        !PyMem_read(walker->pid, older, walker->chunk + walker->chunk_used, (size_t)used))
        return false;
    walker->copies[walker->copy_count++] = (ChunkCopy){older, (size_t)used, walker->chunk_used};
    walker->chunk_used += (size_t)used;
    walker->chunks_done = false;
    return true;
}

/* Reads len bytes at addr from the copies of the frame chunks or the
 * prefetched frame objects when they hold them, else from the target. */
static bool
read_frame_mem(PyWalker *walker, uint64_t addr, void *buf, size_t len)
{
    const uint8_t *pre = len <= OLD_FRAME_BYTES ? prefetched_frame(walker, addr) : NULL;
    do {
        if (!pre)
            pre = in_chunk_copies(walker, addr, len);
    } while (!pre && copy_older_chunk(walker));
    if (pre) {
        memcpy(buf, pre, len);
        return true;
    }
    return PyMem_read(walker->pid, addr, buf, len);
}

/* The frame stack of 3.11+ lives in chunks; the used part of the current
 * one holds the innermost frames: one copy instead of a read per frame.
 * Read with the thread state, at the chunk its last stop saw (the used
 * part and some room to grow); again alone when the thread state says the
 * chunk moved or grew past that. Returns whether the thread state was
 * read. */
static bool
read_state_and_chunk(PyWalker *walker, uint64_t tstate, uint8_t *ts, size_t ts_len, PrevWalk *w)
{
    const PyLayout *l = &walker->layout;
    walker->copy_count = 0;
    walker->chunk_used = 0;
    walker->chunks_done = true;
    if (!walker->chunk)
        walker->chunk = xmalloc(MAX_DATASTACK_BYTES);
    struct iovec local[2] = {{ts, ts_len}, {walker->chunk, w->chunk_read}};
    struct iovec remote[2] = {{(void *)(uintptr_t)tstate, ts_len},
                              {(void *)(uintptr_t)w->chunk, w->chunk_read}};
    unsigned long parts = w->chunk && w->chunk_read ? 2 : 1;
    ssize_t n = process_vm_readv(walker->pid, local, parts, remote, parts, 0);
    if (n < (ssize_t)ts_len)
        return false;
    size_t got = (size_t)n - ts_len;
    uint64_t chunk = PyMem_get_u64(ts, l->ts_datastack_chunk);
    uint64_t top = PyMem_get_u64(ts, l->ts_datastack_top);
    if (!chunk || top <= chunk || top - chunk > MAX_DATASTACK_BYTES)
        return true;
    size_t len = (size_t)(top - chunk);
    if (chunk != w->chunk || len > got) {
        if (!PyMem_read(walker->pid, chunk, walker->chunk, len))
            return true;
    }
    walker->copies[0] = (ChunkCopy){chunk, len, 0};
    walker->copy_count = 1;
    walker->chunk_used = len;
    walker->chunks_done = len < CHUNK_HEADER;
    w->chunk = chunk;
    w->chunk_read = len + (len / 4 > 1024 ? len / 4 : 1024);
    if (w->chunk_read > MAX_DATASTACK_BYTES)
        w->chunk_read = MAX_DATASTACK_BYTES;
    return true;
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
            out->frames[out->count++] = (PyRawFrame){code, frame, lasti, true};
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
                out->frames[out->count++] = (PyRawFrame){code, frame, lasti, entry};
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
    bool frame_objects = l->lines != PY_LINES_LOCATIONS;
    PrevWalk *walk = prev_walk(walker, tstate);
    bool got = frame_objects ? read_state_and_frames(walker, tstate, ts, ts_len, walk)
                             : read_state_and_chunk(walker, tstate, ts, ts_len, walk);
    uint64_t key_off = l->ts_native_thread_id ? l->ts_native_thread_id : l->ts_thread_id;
    if (!got || PyMem_get_u64(ts, key_off) != key) {
        walker->prefetched = 0; /* unreadable, or freed and reused */
        return false;
    }
    uint64_t frame;
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
    if (frame_objects)
        walk->count = 0; /* rewritten by this walk */
    walk_frames(walker, frame, out, frame_objects ? walk : NULL);
    walker->copy_count = 0;
    walker->prefetched = 0;
    return true;
}
