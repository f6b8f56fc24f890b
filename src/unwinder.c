#include "config.h"

#include "unwinder.h"

#include <errno.h>
#include <libunwind.h>
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

struct Unwinder {
    unw_addr_space_t as;
    Images *images;
    unsigned generation;
    Backoff refresh;
    /* The walk in progress. */
    const Snapshot *snap;
    uint64_t stack_high; /* one past the highest copied byte read */
    bool ran_out;
    bool outside;        /* a read fell outside everything we have */
};

static void
maybe_refresh_maps(Unwinder *u)
{
    uint64_t now = Util_now_ns();
    if (!Backoff_due(&u->refresh, now))
        return;
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
    return dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
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

static int
access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *value, int write, void *arg)
{
    (void)as;
    Unwinder *u = arg;
    if (write)
        return -UNW_EINVAL;
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
    /* Never fall through to live memory: the thread has moved on. */
    if (addr >= end && addr - end < RAN_OUT_WINDOW)
        u->ran_out = true;
    u->outside = true;
    return -UNW_EINVAL;
}

static int
access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *value, int write, void *arg)
{
    (void)as;
    Unwinder *u = arg;
    uint64_t v;
    if (write || !Arch_dwarf_reg(&u->snap->regs, (int)reg, &v))
        return -UNW_EBADREG;
    *value = v;
    return 0;
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
Unwinder_new(Images *images, char **cause)
{
    unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
    if (!as) {
        if (cause)
            *cause = xstrdup("unw_create_addr_space failed");
        return NULL;
    }
    /* Remote address spaces cache nothing unless told to. Per-thread, not
     * global: the global cache takes a lock that blocks signals around every
     * step (measured: ~6,800 sigprocmask calls a second at 100 Hz on 4
     * threads, 15 % of spytop's CPU), and spytop unwinds on one thread. */
    unw_set_caching_policy(as, UNW_CACHE_PER_THREAD);
    Unwinder *u = xcalloc(1, sizeof(*u));
    u->as = as;
    u->images = images;
    u->generation = Images_generation(images);
    Backoff_init(&u->refresh, MAPS_REFRESH_MIN_NS, MAPS_REFRESH_MAX_NS);
    return u;
}

void
Unwinder_delete(Unwinder *unwinder)
{
    if (!unwinder)
        return;
    unw_destroy_addr_space(unwinder->as);
    free(unwinder);
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
    u->snap = snap;
    u->stack_high = snap->stack_addr;
    u->ran_out = false;
    u->outside = false;
    if (max > UNWIND_MAX_DEPTH)
        max = UNWIND_MAX_DEPTH;
    if (max == 0) {
        result->end = UNWIND_DEPTH_CAP;
        return;
    }

    /* The leaf is known from the registers alone, whatever follows. */
    frames[0] = (UnwoundFrame){.pc = Arch_pc(&snap->regs), .exact = true};
    result->count = 1;
    result->end = UNWIND_COMPLETE;

    unw_cursor_t cursor;
    if (snap->stack_len == 0 || unw_init_remote(&cursor, u->as, u) < 0) {
        result->end = UNWIND_TRUNCATED;
        goto out;
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
        after_signal = unw_is_signal_frame(&cursor) > 0;
        last_sp = sp;
        last_pc = pc;
    }
out:
    result->stack_used = (size_t)(u->stack_high - snap->stack_addr);
    result->ran_out = u->ran_out;
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
    return UTIL_STR(UNW_VERSION_MAJOR) "." UTIL_STR(UNW_VERSION_MINOR) "."
        UTIL_STR(UNW_VERSION_EXTRA);
}
