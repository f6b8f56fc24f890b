#include "config.h"

#include "unwinder.h"

#include <errno.h>
#include <libunwind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Exported by libunwind but not declared in its public headers. */
#define dwarf_search_unwind_table UNW_OBJ(dwarf_search_unwind_table)
extern int dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
                                     unw_proc_info_t *pi, int need_unwind_info, void *arg);

/* When a pc falls outside the known maps they are read again: soon after a
 * change (a command that just started maps its libraries), backing off to
 * once a second while nothing changes (JIT code, garbage). */
#define MAPS_REFRESH_MIN_NS (5u * 1000 * 1000)
#define MAPS_REFRESH_MAX_NS (1000u * 1000 * 1000)
/* A read this far past the copy's end means the stack was deeper. */
#define RAN_OUT_WINDOW (8u << 20)

/* The walk memo (see "Reusing the last walk" below): threads remembered,
 * frames whose cursor is a key, reads logged per walk at most. */
#define MEMO_SLOTS 256
#define MEMO_KEY_FRAMES 3
#define MEMO_MAX_READS 4096

/* One value libunwind asked for during a walk: a word of memory or a
 * register of the snapshot, what it got, and the frame being unwound. */
typedef struct WalkRead {
    uint64_t addr; /* or the DWARF register number */
    uint64_t value;
    int32_t ret;
    uint16_t frame;
    bool is_reg;
} WalkRead;

/* What a thread's last walk read and found. */
typedef struct WalkMemo {
    pid_t tid; /* 0: empty */
    unsigned generation;
    size_t max;
    size_t count;
    UnwindEnd end;
    size_t key_count; /* cursors kept, after frames 1..key_count */
    unw_cursor_t keys[MEMO_KEY_FRAMES];
    UnwoundFrame *frames;
    size_t frames_cap;
    WalkRead *reads;
    size_t read_count, reads_cap;
} WalkMemo;

struct Unwinder {
    unw_addr_space_t as;
    Images *images;
    unsigned generation;
    Backoff refresh;
    /* The walk in progress. */
    const Snapshot *snap;
    uint64_t stack_high; /* one past the highest copied byte read */
    bool ran_out;
    bool outside;   /* a read fell outside everything we have */
    bool in_fde;    /* libunwind is parsing an FDE and its CIE */
    bool refreshed; /* the maps were read again during the walk */
    uint16_t frame; /* the frame being unwound, for the read log */
    bool logging;
    WalkRead *log; /* the reads of the walk in progress */
    size_t log_count, log_cap;
    bool log_full;
    unw_cursor_t keys[MEMO_KEY_FRAMES];
    /* Walks remembered per thread (a slot per tid modulo MEMO_SLOTS). */
    WalkMemo *memos;
    bool memo_off;   /* UNWIND_MEMO_OFF */
    bool self_check; /* UNWIND_MEMO_CHECK: each reuse walked again */
    uint64_t walks, reused, mismatches;
};

static void
maybe_refresh_maps(Unwinder *u)
{
    uint64_t now = Util_now_ns();
    if (!Backoff_due(&u->refresh, now))
        return;
    u->refreshed = true;
    bool changed = Images_refresh(u->images) == 0 && Images_generation(u->images) != u->generation;
    if (changed) {
        u->generation = Images_generation(u->images);
        unw_flush_cache(u->as, 0, 0);
    }
    Backoff_tried(&u->refresh, now, changed);
}

static int
find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need_unwind_info,
               void *arg)
{
    Unwinder *u = arg;
    UnwindTable table;
    if (Images_unwind_table(u->images, ip, &table) < 0) {
        if (Images_is_mapped(u->images, ip))
            return -UNW_ENOINFO;
        maybe_refresh_maps(u);
        if (Images_unwind_table(u->images, ip, &table) < 0)
            return -UNW_ENOINFO;
    }
    unw_dyn_info_t di;
    memset(&di, 0, sizeof(di));
    di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    di.start_ip = table.start_ip;
    di.end_ip = table.end_ip;
    di.u.rti.segbase = table.hdr_addr;
    di.u.rti.table_data = table.table_addr;
    di.u.rti.table_len = table.fde_count * 8 / sizeof(unw_word_t);
    u->in_fde = true;
    int r = dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
    u->in_fde = false;
    return r;
}

static void
put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    /* libunwind frees DWARF table info itself; we hand out nothing else. */
    (void)as, (void)pi, (void)arg;
}

static int
get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    (void)as, (void)addr, (void)arg;
    return -UNW_ENOINFO;
}

/* A word of the snapshot's memory: the stack copy, else the file images;
 * never the live target. Notes how much of the copy was used. */
static int
read_word(Unwinder *u, uint64_t addr, uint64_t *value)
{
    const Snapshot *snap = u->snap;
    uint64_t end = snap->stack_addr + snap->stack_len;
    if (addr >= snap->stack_addr && addr < end && end - addr >= sizeof(*value)) {
        memcpy(value, snap->stack + (addr - snap->stack_addr), sizeof(*value));
        if (addr + sizeof(*value) > u->stack_high)
            u->stack_high = addr + sizeof(*value);
        return 0;
    }
    if (Images_read(u->images, addr, value, sizeof(*value)) == 0)
        return 0;
    /* A CIE with a personality routine (C++ or Rust code with cleanups:
     * augmentation "zPLR") names it through a slot in the module's
     * writable data (DW.ref.__gxx_personality_v0, DW_EH_PE_indirect),
     * which the dynamic loader fills in and which is in no snapshot.
     * libunwind reads it while parsing the FDE and fails the step if the
     * read fails: every frame with cleanups ended the walk. A walk never
     * calls the personality routine, so its address does not matter:
     * read as 0, and only there. */
    if (u->in_fde && Images_is_mapped(u->images, addr)) {
        *value = 0;
        return 0;
    }
    /* Never fall through to live memory: the thread has moved on. */
    if (addr >= end && addr - end < RAN_OUT_WINDOW)
        u->ran_out = true;
    u->outside = true;
    *value = 0;
    return -UNW_EINVAL;
}

static int
read_reg(const Unwinder *u, uint64_t reg, uint64_t *value)
{
    *value = 0;
    return reg <= INT32_MAX && Arch_dwarf_reg(&u->snap->regs, (int)reg, value) ? 0 : -UNW_EBADREG;
}

static void
log_read(Unwinder *u, bool is_reg, uint64_t addr, uint64_t value, int ret)
{
    if (!u->logging || u->log_full)
        return;
    if (u->log_count == u->log_cap) {
        if (u->log_cap == MEMO_MAX_READS) {
            u->log_full = true;
            return;
        }
        u->log = xgrow(u->log, &u->log_cap, u->log_count + 1, sizeof(*u->log));
    }
    u->log[u->log_count++] = (WalkRead){addr, value, ret, u->frame, is_reg};
}

static int
access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *value, int write, void *arg)
{
    (void)as;
    Unwinder *u = arg;
    if (write)
        return -UNW_EINVAL;
    uint64_t v;
    int ret = read_word(u, addr, &v);
    /* What libunwind reads to parse an FDE comes from the images (and the
     * personality slot's 0): the same for as long as the maps are, which
     * a memo's generation already checks; a replay could not repeat it. */
    if (!u->in_fde)
        log_read(u, false, addr, v, ret);
    *value = v;
    return ret;
}

static int
access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *value, int write, void *arg)
{
    (void)as;
    Unwinder *u = arg;
    if (write)
        return -UNW_EBADREG;
    uint64_t v;
    int ret = read_reg(u, reg, &v);
    log_read(u, true, reg, v, ret);
    *value = v;
    return ret;
}

static int
access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *value, int write, void *arg)
{
    (void)as, (void)reg, (void)value, (void)write, (void)arg;
    return -UNW_EBADREG;
}

static int
resume(unw_addr_space_t as, unw_cursor_t *cursor, void *arg)
{
    (void)as, (void)cursor, (void)arg;
    return -UNW_EINVAL;
}

static int
get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len, unw_word_t *off,
              void *arg)
{
    (void)as, (void)addr, (void)buf, (void)len, (void)off, (void)arg;
    return -UNW_ENOINFO; /* names come from the symbolizer */
}

static unw_accessors_t accessors = {
    .find_proc_info = find_proc_info,
    .put_unwind_info = put_unwind_info,
    .get_dyn_info_list_addr = get_dyn_info_list_addr,
    .access_mem = access_mem,
    .access_reg = access_reg,
    .access_fpreg = access_fpreg,
    .resume = resume,
    .get_proc_name = get_proc_name,
};

Unwinder *
Unwinder_new(Images *images, UnwindMemo memo, char **cause)
{
    unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
    if (!as) {
        if (cause)
            *cause = xstrdup("unw_create_addr_space failed");
        return NULL;
    }
    /* Remote address spaces cache nothing unless told to, and without
     * the cache of parsed CFI each step costs more (measured: spytop's CPU
     * 6.4 % of a core against 3.7 % at 100 Hz on 4 threads). Per-thread,
     * as spytop unwinds on one thread; but a libunwind configured without
     * --enable-per-thread-cache (Debian's 1.6.2) treats it as global, whose
     * lock blocks signals around each step: two sigprocmask calls a step,
     * about 15 % of spytop's CPU. */
    unw_set_caching_policy(as, UNW_CACHE_PER_THREAD);
    Unwinder *u = xcalloc(1, sizeof(*u));
    u->as = as;
    u->images = images;
    u->generation = Images_generation(images);
    Backoff_init(&u->refresh, MAPS_REFRESH_MIN_NS, MAPS_REFRESH_MAX_NS);
    u->memo_off = memo == UNWIND_MEMO_OFF;
    u->self_check = memo == UNWIND_MEMO_CHECK;
    return u;
}

void
Unwinder_delete(Unwinder *unwinder)
{
    if (!unwinder)
        return;
    if (unwinder->self_check)
        fprintf(stderr, "spytop: unwind memo: %llu walks, %llu reused, %llu mismatches\n",
                (unsigned long long)unwinder->walks, (unsigned long long)unwinder->reused,
                (unsigned long long)unwinder->mismatches);
    if (unwinder->memos) {
        for (size_t i = 0; i < MEMO_SLOTS; i++) {
            free(unwinder->memos[i].frames);
            free(unwinder->memos[i].reads);
        }
        free(unwinder->memos);
    }
    free(unwinder->log);
    unw_destroy_addr_space(unwinder->as);
    free(unwinder);
}

/* --- Reusing the last walk ------------------------------------------------
 *
 * A thread sampled again is mostly in the same calls: its leaf moved, its
 * callers did not. libunwind's state at a frame (the cursor: CFA, pc and
 * where each register was saved) and the values it reads from then on
 * decide the rest of the walk, and nothing else does (the file images are
 * fixed while their generation is). So each walk logs every value it reads
 * with the frame it was unwinding, and keeps its cursors after frames
 * 1..MEMO_KEY_FRAMES. The thread's next walk, at such a frame with a cursor
 * equal byte for byte, reads the logged values again from the new snapshot;
 * if every one is the same, the rest of the walk would be too, and is
 * taken from the memo. Each unw_step saved is two sigprocmask calls saved
 * as well (Debian's libunwind locks its cache around every step). */

static WalkMemo *
memo_slot(Unwinder *u, pid_t tid)
{
    if (u->memo_off || tid <= 0)
        return NULL;
    if (!u->memos)
        u->memos = xcalloc(MEMO_SLOTS, sizeof(*u->memos));
    return &u->memos[(unsigned)tid % MEMO_SLOTS];
}

/* Reads again, from this walk's snapshot, what the memo's walk read from
 * frame k on. All the same: true (and the copy's use is noted as a walk
 * would have noted it). */
static bool
memo_replay(Unwinder *u, const WalkMemo *memo, size_t k)
{
    uint64_t high = u->stack_high;
    bool ran_out = u->ran_out, outside = u->outside;
    for (size_t i = 0; i < memo->read_count; i++) {
        const WalkRead *r = &memo->reads[i];
        if (r->frame < k)
            continue;
        uint64_t v;
        int ret = r->is_reg ? read_reg(u, r->addr, &v) : read_word(u, r->addr, &v);
        if (ret != r->ret || v != r->value) {
            u->stack_high = high;
            u->ran_out = ran_out;
            u->outside = outside;
            return false;
        }
    }
    return true;
}

static bool
memo_matches(Unwinder *u, const WalkMemo *memo, pid_t tid, size_t max, size_t k,
             const unw_cursor_t *cursor)
{
    return memo && memo->tid == tid && memo->generation == u->generation && memo->max == max &&
           k <= memo->key_count && memo->count > k &&
           memcmp(cursor, &memo->keys[k - 1], sizeof(*cursor)) == 0 && memo_replay(u, memo, k);
}

/* The walk just ended (reusing the memo from frame `reused_from`, or 0):
 * it becomes the thread's memo. */
static void
memo_store(Unwinder *u, WalkMemo *memo, pid_t tid, size_t max, const UnwoundFrame *frames,
           const UnwindResult *result, size_t keys, size_t reused_from)
{
    if (!memo)
        return;
    if (u->refreshed || u->log_full || Images_generation(u->images) != u->generation) {
        memo->tid = 0;
        return;
    }
    /* The reads: this walk's before the reused frame, the memo's after. */
    size_t kept = 0;
    if (reused_from)
        for (size_t i = 0; i < memo->read_count; i++)
            kept += memo->reads[i].frame >= reused_from;
    size_t total = u->log_count + kept;
    if (total > MEMO_MAX_READS) {
        memo->tid = 0;
        return;
    }
    if (reused_from) {
        size_t out = 0;
        for (size_t i = 0; i < memo->read_count; i++)
            if (memo->reads[i].frame >= reused_from)
                memo->reads[out++] = memo->reads[i];
        memo->reads = xgrow(memo->reads, &memo->reads_cap, total, sizeof(*memo->reads));
        memmove(memo->reads + u->log_count, memo->reads, kept * sizeof(*memo->reads));
        /* Frames 1..reused_from have this walk's cursors; the memo's
         * beyond, which this walk would have had too. */
        keys = memo->key_count > keys ? memo->key_count : keys;
    } else {
        memo->reads = xgrow(memo->reads, &memo->reads_cap, total, sizeof(*memo->reads));
    }
    if (u->log_count)
        memcpy(memo->reads, u->log, u->log_count * sizeof(*u->log));
    memo->read_count = total;
    memo->frames = xgrow(memo->frames, &memo->frames_cap, result->count, sizeof(*memo->frames));
    memcpy(memo->frames, frames, result->count * sizeof(*frames));
    memcpy(memo->keys, u->keys, (reused_from ? reused_from : keys) * sizeof(*u->keys));
    memo->key_count = keys;
    memo->count = result->count;
    memo->end = result->end;
    memo->max = max;
    memo->generation = u->generation;
    memo->tid = tid;
}

/* One walk with libunwind. With a memo, it stops at the first frame from
 * which the memo's walk is known to be the same; returns that frame's
 * index (0: walked to the end). */
static size_t
walk(Unwinder *u, const Snapshot *snap, UnwoundFrame *frames, size_t max, UnwindResult *result,
     const WalkMemo *memo, size_t *keys)
{
    *keys = 0;
    /* The leaf is known from the registers alone, whatever follows. */
    frames[0] = (UnwoundFrame){.pc = Arch_pc(&snap->regs), .exact = true};
    result->count = 1;
    result->end = UNWIND_COMPLETE;

    unw_cursor_t cursor;
    memset(&cursor, 0, sizeof(cursor)); /* compared whole: no stray bytes */
    if (snap->stack_len == 0 || unw_init_remote(&cursor, u->as, u) < 0) {
        result->end = UNWIND_TRUNCATED;
        return 0;
    }
    uint64_t last_sp = Arch_sp(&snap->regs), last_pc = frames[0].pc;
    bool after_signal = unw_is_signal_frame(&cursor) > 0;
    for (;;) {
        int step = unw_step(&cursor);
        if (step == 0)
            break;
        if (step < 0) {
            result->end = u->outside ? UNWIND_TRUNCATED : UNWIND_NO_INFO;
            break;
        }
        size_t k = result->count;
        u->frame = (uint16_t)(k < UINT16_MAX ? k : UINT16_MAX);
        unw_word_t pc = 0, sp = 0;
        unw_get_reg(&cursor, UNW_REG_IP, &pc);
        unw_get_reg(&cursor, UNW_REG_SP, &sp);
        if (pc == 0)
            break;
        /* A return address outside executable memory is garbage (a thread
         * caught in its first instructions, a smashed stack): the stack
         * ends here. The maps may be stale after a dlopen: look again. */
        if (!Images_is_executable(u->images, pc)) {
            maybe_refresh_maps(u);
            if (!Images_is_executable(u->images, pc)) {
                result->end = UNWIND_NO_INFO;
                break;
            }
        }
        /* A frame that does not move up the stack is a loop: end it (a
         * signal handler on an alternate stack may move down, once). */
        if ((sp < last_sp && !after_signal) || (sp == last_sp && pc == last_pc)) {
            result->end = UNWIND_NO_INFO;
            break;
        }
        if (result->count == max) {
            result->end = UNWIND_DEPTH_CAP;
            break;
        }
        frames[result->count++] = (UnwoundFrame){.pc = pc, .exact = after_signal};
        /* Frame k taken: from here on the walk depends on the cursor and
         * on what it reads next, nothing else. */
        if (k <= MEMO_KEY_FRAMES) {
            bool same = memo_matches(u, memo, snap->tid, max, k, &cursor);
            u->keys[k - 1] = cursor;
            *keys = k;
            if (same) {
                memcpy(frames + k + 1, memo->frames + k + 1,
                       (memo->count - k - 1) * sizeof(*frames));
                result->count = memo->count;
                result->end = memo->end;
                return k;
            }
        }
        after_signal = unw_is_signal_frame(&cursor) > 0;
        last_sp = sp;
        last_pc = pc;
    }
    return 0;
}

static void
begin_walk(Unwinder *u, const Snapshot *snap, bool logging)
{
    u->snap = snap;
    u->stack_high = snap->stack_addr;
    u->ran_out = false;
    u->outside = false;
    u->refreshed = false;
    u->frame = 0;
    u->logging = logging;
    u->log_count = 0;
    u->log_full = false;
}

/* UNWIND_MEMO_CHECK: a reused walk must equal a full one. */
static void
check_reuse(Unwinder *u, const Snapshot *snap, const UnwoundFrame *frames, size_t max,
            const UnwindResult *reused)
{
    UnwoundFrame *full = xcalloc(max, sizeof(*full));
    UnwindResult r = {0};
    size_t keys;
    begin_walk(u, snap, false);
    walk(u, snap, full, max, &r, NULL, &keys);
    r.stack_used = (size_t)(u->stack_high - snap->stack_addr);
    r.ran_out = u->ran_out;
    bool same = r.count == reused->count && r.end == reused->end &&
                r.stack_used == reused->stack_used && r.ran_out == reused->ran_out;
    for (size_t i = 0; same && i < r.count; i++)
        same = full[i].pc == frames[i].pc && full[i].exact == frames[i].exact;
    if (!same) {
        u->mismatches++;
        fprintf(stderr,
                "spytop: unwind memo: tid %d: reused %zu frames (%s), a full walk %zu (%s)\n",
                (int)snap->tid, reused->count, Unwinder_end_name(reused->end), r.count,
                Unwinder_end_name(r.end));
    }
    free(full);
}

void
Unwinder_unwind(Unwinder *u, const Snapshot *snap, UnwoundFrame *frames, size_t max,
                UnwindResult *result)
{
    memset(result, 0, sizeof(*result));
    if (Images_generation(u->images) != u->generation) {
        u->generation = Images_generation(u->images);
        unw_flush_cache(u->as, 0, 0);
    }
    if (max > UNWIND_MAX_DEPTH)
        max = UNWIND_MAX_DEPTH;
    if (max == 0) {
        result->end = UNWIND_DEPTH_CAP;
        return;
    }
    WalkMemo *memo = memo_slot(u, snap->tid);
    begin_walk(u, snap, memo != NULL);
    size_t keys;
    size_t reused_from = walk(u, snap, frames, max, result, memo, &keys);
    result->stack_used = (size_t)(u->stack_high - snap->stack_addr);
    result->ran_out = u->ran_out;
    memo_store(u, memo, snap->tid, max, frames, result, keys, reused_from);
    u->walks++;
    if (reused_from) {
        u->reused++;
        if (u->self_check)
            check_reuse(u, snap, frames, max, result);
    }
    u->logging = false;
    u->snap = NULL;
}

const char *
Unwinder_end_name(UnwindEnd end)
{
    switch (end) {
    case UNWIND_COMPLETE:
        return "complete";
    case UNWIND_TRUNCATED:
        return "truncated";
    case UNWIND_DEPTH_CAP:
        return "depth limit";
    case UNWIND_NO_INFO:
        return "no unwind info";
    }
    return "unknown";
}

const char *
Unwinder_library_version(bool running)
{
    if (running)
        return NULL;
    return UTIL_STR(UNW_VERSION_MAJOR) "." UTIL_STR(UNW_VERSION_MINOR) "." UTIL_STR(
        UNW_VERSION_EXTRA);
}
