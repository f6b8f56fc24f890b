#include "config.h"

#include "sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hashindex.h"
#include "oncpu.h"
#include "proc.h"
#include "pywalk.h"
#include "util.h"

/* Threads usually stop within tens of microseconds of the interrupt: poll
 * that long, then sleep until a tracee stops (SIGCHLD), so that on a busy
 * machine the tracer does not take the CPU the target needs to stop (a
 * 200 us poll measured at 28 % of spytop's CPU at 100 Hz). */
#define SPIN_NS (60u * 1000)
#define SYNC_INTERVAL_NS (100u * 1000 * 1000)
/* A tick drains at least this often, SIGCHLD or not: a report whose
 * SIGCHLD never came (a drain cut short by an error) waits no longer. */
#define DRAIN_BACKSTOP_NS (100u * 1000 * 1000)
/* Up to this many threads interrupted in a tick, their stops are waited
 * for one thread at a time: a wait for any tracee walks all of them in
 * the kernel, which with thousands of sleeping threads left alone costs
 * more than the few threads actually stopped. */
#define POLL_EACH_MAX 16

/* Stack copies of ended threads kept for new ones (ensure_stack_buffer). */
#define SPARE_STACKS 128
/* Memos of ended threads kept for new ones (new_memo). */
#define SPARE_MEMOS 1024

/* Whether a thread was on a CPU between two looks: equal marks from the
 * same source say it was not, provided it was off a CPU at the first look.
 * From its perf watch's page (oncpu.h), or else its schedstat. */
typedef struct RunMark {
    uint64_t ran_ns; /* time on a CPU */
    uint64_t count;  /* the page's sequence, or times put on a CPU */
    bool watched;    /* from the watch, not schedstat */
} RunMark;

/* Where a thread stands for reuse of its stack (see Sampler_tick). */
typedef enum Reuse {
    REUSE_NONE,    /* stopped each tick */
    REUSE_PENDING, /* stopped in a blocking call last time: to be proven */
    REUSE_PROVEN,  /* asleep since base_*: its kept snapshot is reused */
} Reuse;

/* Per-thread state kept across ticks. */
typedef struct Slot {
    pid_t tid;
    size_t want;        /* bytes to copy next time */
    uint8_t *stack;     /* stack_max bytes, mapped before the first stop */
    PyRawStack *python; /* allocated when Python is read */
    bool asked;         /* interrupted in this tick */
    char state;
    int stat_fd;          /* /proc/PID/task/TID/stat, kept open; -1 until needed */
    int schedstat_fd;     /* /proc/PID/task/TID/schedstat, likewise */
    OnCpuWatch watch;     /* its switches in and out, when perf events may be used */
    unsigned watch_after; /* the tick from which a watch may be opened */
    unsigned watch_moves; /* ticks in a row at which the watch's mark moved */
    unsigned watch_tick;  /* the tick of watch_last */
    OnCpuMark watch_last; /* its mark at the first look of that tick */
    bool asleep;          /* asleep at the last look, with seen as it was then */
    RunMark seen;         /* at the last look */
    unsigned last_tick;
    Reuse reuse;
    unsigned snap_tick; /* the tick of its last snapshot, taken or reused */
    Snapshot kept;      /* the stop reused (stack and python: the buffers above) */
    size_t kept_used;   /* bytes of kept's copy its unwind read; 0: unknown */
    RunMark base;       /* when proven asleep */
    /* For Sampler_thread_idle_since: its mark at the last look, when that
     * was, and the last tick at which it was seen to have run (its mark
     * moved, or unknown, or it was stopped). */
    RunMark looked_mark;
    uint64_t looked_ns, ran_ns;
    SnapshotMemo *memo; /* the session's result for kept */
} Slot;

struct Sampler {
    Tracer *tracer;
    pid_t pid;
    SamplerOptions options;
    Slot *slots;
    size_t slot_count, slot_cap;
    Snapshot *snapshots;
    HashIndex slot_index; /* tid -> slot: thousands of threads are looked up each tick */
    size_t snapshot_count, snapshot_cap;
    unsigned tick;
    unsigned execs;   /* the Tracer's exec count the slots belong to */
    uint64_t tick_ns; /* when this tick began */
    uint64_t synced_ns;
    uint64_t drained_ns; /* the last Tracer_drain of a tick */
    PyFrames *python;
    FdBudget own_budget;
    FdBudget *fd_budget; /* task files kept open, and how many may be */
    bool watch_refused;  /* perf events not allowed: schedstat for every thread */
    pid_t *asked_tids;   /* interrupted in this tick */
    size_t asked_cap;
    uint8_t *spare_stacks[SPARE_STACKS]; /* stack copies of ended threads */
    size_t spare_count;
    SnapshotMemo **spare_memos; /* memos of ended threads */
    size_t spare_memo_count;
    uint8_t *scratch;       /* a stack read again, to compare (stack_max bytes) */
    PyRawStack *py_scratch; /* Python frames read again, likewise */
};

Sampler *
Sampler_new(Tracer *tracer, pid_t pid, const SamplerOptions *options)
{
    Sampler *sampler = xcalloc(1, sizeof(*sampler));
    sampler->tracer = tracer;
    sampler->pid = pid;
    sampler->options = *options;
    if (sampler->options.stack_max < SAMPLER_STACK_MIN)
        sampler->options.stack_max = SAMPLER_STACK_MIN;
    /* Task files are kept open within the budget; past it a task file is
     * opened, read and closed each time. */
    sampler->own_budget = FdBudget_default();
    sampler->fd_budget = options->fd_budget ? options->fd_budget : &sampler->own_budget;
    return sampler;
}

FdBudget
FdBudget_default(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
        return (FdBudget){.max = lim.rlim_cur / 2};
    return (FdBudget){.max = 4096};
}

/* A thread's stack copy lives in its own mapping: pages the copies never
 * reach are never touched, and a thread's end gives it back to the kernel.
 * From the heap, thousands of short-lived threads' 256 KiB copies
 * fragmented it: RSS grew with every thread ever seen. It is mapped when
 * the thread is first to be stopped, before the interrupt, not while it
 * is stopped (a sleeper the sampler leaves alone needs none; an unasked
 * stop, such as a SIGSTOP, maps it in take_snapshot). Up to SPARE_STACKS
 * mappings of ended threads are kept for new ones: under thread churn
 * (1,700 threads born a second) a mapping and an unmapping for each
 * thread were 6 % of spytop's time. The pages a spare keeps are those its
 * copies reached, a few KiB for most threads. */
static void
ensure_stack_buffer(Sampler *sampler, Slot *slot)
{
    if (slot->stack)
        return;
    if (sampler->spare_count) {
        slot->stack = sampler->spare_stacks[--sampler->spare_count];
        return;
    }
    size_t size = sampler->options.stack_max;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "spytop: out of memory (mapping %zu bytes)\n", size);
        abort();
    }
    slot->stack = p;
}

static void
memo_delete(SnapshotMemo *memo)
{
    if (memo)
        free(memo->trace);
    free(memo);
}

/* Frees what a slot holds and closes its files. */
static void
slot_done(Sampler *sampler, Slot *slot)
{
    if (slot->stack && sampler->spare_count < SPARE_STACKS)
        sampler->spare_stacks[sampler->spare_count++] = slot->stack;
    else if (slot->stack)
        munmap(slot->stack, sampler->options.stack_max);
    free(slot->python);
    if (slot->memo && sampler->spare_memo_count < SPARE_MEMOS) {
        if (!sampler->spare_memos)
            sampler->spare_memos = xcalloc(SPARE_MEMOS, sizeof(*sampler->spare_memos));
        sampler->spare_memos[sampler->spare_memo_count++] = slot->memo;
    } else {
        memo_delete(slot->memo);
    }
    if (slot->stat_fd >= 0) {
        close(slot->stat_fd);
        sampler->fd_budget->used--;
    }
    if (slot->schedstat_fd >= 0) {
        close(slot->schedstat_fd);
        sampler->fd_budget->used--;
    }
    if (slot->watch.fd >= 0) {
        OnCpuWatch_close(&slot->watch);
        sampler->fd_budget->used--;
    }
}

void
Sampler_delete(Sampler *sampler)
{
    if (!sampler)
        return;
    for (size_t i = 0; i < sampler->slot_count; i++)
        slot_done(sampler, &sampler->slots[i]);
    free(sampler->slots);
    while (sampler->spare_count)
        munmap(sampler->spare_stacks[--sampler->spare_count], sampler->options.stack_max);
    while (sampler->spare_memo_count)
        memo_delete(sampler->spare_memos[--sampler->spare_memo_count]);
    free(sampler->spare_memos);
    free(sampler->asked_tids);
    free(sampler->scratch);
    free(sampler->py_scratch);
    HashIndex_done(&sampler->slot_index);
    free(sampler->snapshots);
    free(sampler);
}

static Slot *
find_slot(Sampler *sampler, pid_t tid)
{
    uint32_t i = HashIndex_find(&sampler->slot_index, (uint64_t)tid, NULL, NULL);
    return i == HASHINDEX_NONE ? NULL : &sampler->slots[i];
}

static Slot *
get_slot(Sampler *sampler, pid_t tid)
{
    Slot *slot = find_slot(sampler, tid);
    if (slot)
        return slot;
    if (sampler->slot_count == sampler->slot_cap) {
        sampler->slot_cap = sampler->slot_cap ? sampler->slot_cap * 2 : 16;
        sampler->slots = xreallocarray(sampler->slots, sampler->slot_cap, sizeof(Slot));
    }
    HashIndex_add(&sampler->slot_index, (uint64_t)tid, (uint32_t)sampler->slot_count);
    slot = &sampler->slots[sampler->slot_count++];
    /* A new thread's first copy is as large as allowed; later copies
     * follow what its unwinds needed. */
    *slot = (Slot){.tid = tid,
                   .want = sampler->options.stack_max,
                   .last_tick = sampler->tick,
                   .stat_fd = -1,
                   .schedstat_fd = -1,
                   .watch = ONCPU_WATCH_NONE};
    return slot;
}

/* The thread was seen to have run, or may have: stopped, or not read. */
static void
saw_run(Sampler *sampler, Slot *slot)
{
    slot->ran_ns = sampler->tick_ns;
}

/* Slots of threads that exited, or that were not seen for a while, are
 * dropped: memory follows the live threads whatever the churn. */
static void
prune_slots(Sampler *sampler)
{
    size_t out = 0;
    for (size_t i = 0; i < sampler->slot_count; i++) {
        Slot *slot = &sampler->slots[i];
        const TraceThread *t = Tracer_find(sampler->tracer, slot->tid);
        if (!t || t->state == TRACE_GONE || sampler->tick - slot->last_tick > 100)
            slot_done(sampler, slot);
        else
            sampler->slots[out++] = *slot;
    }
    sampler->slot_count = out;
    HashIndex_clear(&sampler->slot_index);
    for (size_t i = 0; i < out; i++)
        HashIndex_add(&sampler->slot_index, (uint64_t)sampler->slots[i].tid, (uint32_t)i);
}

/* After an execve every thread is another: none of its slot (watch,
 * marks, kept snapshot) holds. */
static void
drop_all_slots(Sampler *sampler)
{
    for (size_t i = 0; i < sampler->slot_count; i++)
        slot_done(sampler, &sampler->slots[i]);
    sampler->slot_count = 0;
    HashIndex_clear(&sampler->slot_index);
}

static Snapshot *
new_snapshot(Sampler *sampler)
{
    if (sampler->snapshot_count == sampler->snapshot_cap) {
        sampler->snapshot_cap = sampler->snapshot_cap ? sampler->snapshot_cap * 2 : 16;
        sampler->snapshots =
            xreallocarray(sampler->snapshots, sampler->snapshot_cap, sizeof(Snapshot));
    }
    Snapshot *snap = &sampler->snapshots[sampler->snapshot_count++];
    memset(snap, 0, sizeof(*snap));
    return snap;
}

static bool
reusing(const Sampler *sampler)
{
    return !sampler->options.leave_sleepers && !sampler->options.detach &&
           sampler->options.reuse != SLEEPER_REUSE_OFF;
}

/* Whether a thread the stop caught blocked in a system call is parked
 * (Tracer_park) rather than resumed: it sleeps on untraced, and is seized
 * again only when it must stop, which with its mark unchanged it need
 * not. Not where every thread is stopped at every tick anyway (reuse off,
 * the reuse's baseline), nor in a dump (which detaches). */
static bool
parks_sleepers(const Sampler *sampler)
{
    return !sampler->options.detach &&
           (sampler->options.leave_sleepers || sampler->options.reuse != SLEEPER_REUSE_OFF);
}

/* An empty memo: one an ended thread left, with its frames' buffer (under
 * thread churn, an allocation and a growth of that buffer for each new
 * thread, living as long as it, scattered holes all over the heap), or a
 * new one. */
static SnapshotMemo *
new_memo(Sampler *sampler)
{
    if (!sampler->spare_memo_count)
        return xcalloc(1, sizeof(SnapshotMemo));
    SnapshotMemo *memo = sampler->spare_memos[--sampler->spare_memo_count];
    *memo = (SnapshotMemo){.trace = memo->trace, .cap = memo->cap};
    return memo;
}

/* A snapshot of a thread that the stop caught blocked in a system call
 * (the call interrupted: to be restarted, or failed with EINTR), or held in
 * a job-control stop (SIGSTOP: it stays stopped after the snapshot), may be
 * reused from the next tick on, once proven (reusable() below); the session
 * keeps its result in the memo. Not one caught as a call returned with its
 * result: that thread was running, and so must its sample say. A check stop
 * keeps the memo of the previous snapshot for the session to compare with. */
static void
keep_for_reuse(Sampler *sampler, Slot *slot, Snapshot *snap)
{
    bool checking = slot->reuse == REUSE_PROVEN && slot->memo && slot->memo->valid;
    slot->reuse = REUSE_NONE;
    if (!reusing(sampler) || snap->status != SAMPLE_OK ||
        !(Arch_in_interrupted_syscall(&snap->regs) || snap->group_stopped))
        return;
    if (!slot->memo)
        slot->memo = new_memo(sampler);
    snap->reuse_check = checking;
    if (!checking)
        slot->memo->valid = false;
    snap->memo = slot->memo;
    slot->kept = *snap;
    slot->kept_used = 0;
    slot->reuse = REUSE_PENDING;
}

/* The stopped part of a sample: registers, one stack copy, restart. */
static void
take_snapshot(Sampler *sampler, TraceThread *thread, Slot *slot, uint64_t seen_ns,
              SamplerTickStats *stats)
{
    Snapshot *snap = new_snapshot(sampler);
    slot->snap_tick = sampler->tick;
    saw_run(sampler, slot);
    snap->tid = thread->tid;
    snap->state = slot->state;
    snap->group_stopped = thread->state == TRACE_GROUP_STOPPED;
    snap->latency_ns = seen_ns - thread->interrupted_ns;
    ensure_stack_buffer(sampler, slot); /* mapped before the interrupt, unless unasked */
    snap->stack = slot->stack;

    if (Tracer_get_regs(sampler->tracer, thread, &snap->regs) == 0) {
        snap->t_ns = Util_now_ns();
        uint64_t sp = Arch_sp(&snap->regs);
        uint64_t start = sp >= ARCH_RED_ZONE ? sp - ARCH_RED_ZONE : 0;
        struct iovec local = {slot->stack, slot->want};
        struct iovec remote = {(void *)(uintptr_t)start, slot->want};
        ssize_t n = process_vm_readv(sampler->pid, &local, 1, &remote, 1, 0);
        snap->stack_addr = start;
        snap->stack_len = n > 0 ? (size_t)n : 0;
        snap->status = n > 0 ? SAMPLE_OK : SAMPLE_NO_STACK;
        if (sampler->python) {
            if (!slot->python)
                slot->python = xmalloc(sizeof(PyRawStack));
            PyFrames_read(sampler->python, thread->tid, &snap->regs, slot->stack, snap->stack_addr,
                          snap->stack_len, slot->python);
            snap->python = slot->python;
        }
        stats->sampled++;
        keep_for_reuse(sampler, slot, snap);
    } else {
        snap->status = SAMPLE_FAILED;
        stats->failed++;
        slot->reuse = REUSE_NONE;
    }
    snap->copied_ns = Util_now_ns() - seen_ns;
    if (sampler->options.detach)
        Tracer_detach(sampler->tracer, thread);
    else if (parks_sleepers(sampler) && snap->status != SAMPLE_FAILED && !snap->group_stopped &&
             Arch_in_interrupted_syscall(&snap->regs))
        Tracer_park(sampler->tracer, thread);
    else
        Tracer_resume(sampler->tracer, thread);
    snap->stopped_ns = Util_now_ns() - seen_ns;
    if (snap->stopped_ns > stats->max_stopped_ns)
        stats->max_stopped_ns = snap->stopped_ns;
}

/* Reads a small file of the thread's /proc/PID/task/TID/, kept open in
 * *fd and re-read from its start. Length read, or -1. */
static ssize_t
read_task_file(Sampler *sampler, const Slot *slot, int *fd, const char *name, char *buf,
               size_t size)
{
    if (*fd < 0) {
        char path[80];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)sampler->pid, (int)slot->tid,
                 name);
        if (sampler->fd_budget->used >= sampler->fd_budget->max) {
            ssize_t n = Util_read_small_file(path, buf, size);
            return n > 0 ? n : -1;
        }
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0)
            return -1;
        sampler->fd_budget->used++;
    }
    ssize_t n = pread(*fd, buf, size - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* A watch costs its thread a little at each of its switches in and out
 * (measured with a pipe ping-pong, 25.6 -> 28.6 us a round trip: some
 * 1.5 us a switch pair), and saves spytop a pread only while the thread
 * sleeps. So a thread whose mark moved at WATCH_BUSY_TICKS ticks in a row
 * (it ran at each tick: a busy or chatty thread) is read through schedstat
 * instead, and watched again WATCH_RETRY_TICKS later, in case it became a
 * sleeper. A quiet sleeper keeps its watch. */
#define WATCH_BUSY_TICKS 4
#define WATCH_RETRY_TICKS 500

static void
close_watch(Sampler *sampler, Slot *slot)
{
    OnCpuWatch_close(&slot->watch);
    sampler->fd_budget->used--;
}

/* Opens the thread's perf watch within the descriptor budget; after a
 * refusal that holds for every thread, no other is tried. */
static void
open_watch(Sampler *sampler, Slot *slot)
{
    slot->watch_after = sampler->tick + WATCH_RETRY_TICKS;
    if (sampler->options.oncpu_schedstat || sampler->watch_refused ||
        sampler->fd_budget->used >= sampler->fd_budget->max)
        return;
    int err = OnCpuWatch_open(&slot->watch, slot->tid);
    if (err == 0) {
        sampler->fd_budget->used++;
        slot->watch_moves = 0;
        slot->watch_tick = sampler->tick;
        OnCpuWatch_read(&slot->watch, &slot->watch_last);
    } else if (OnCpuWatch_refused_everywhere(err)) {
        sampler->watch_refused = true;
    }
}

/* Whether the watch's mark moved at too many ticks in a row (see above).
 * The first look of a tick counts (the reuse proof looks twice). */
static bool
watch_busy(Sampler *sampler, Slot *slot, const OnCpuMark *now)
{
    if (slot->watch_tick != sampler->tick) {
        bool moved = !OnCpuMark_equal(now, &slot->watch_last);
        slot->watch_moves = moved ? slot->watch_moves + 1 : 0;
        slot->watch_last = *now;
        slot->watch_tick = sampler->tick;
    }
    return slot->watch_moves >= WATCH_BUSY_TICKS;
}

static bool
same_mark(const RunMark *a, const RunMark *b)
{
    return a->ran_ns == b->ran_ns && a->count == b->count && a->watched == b->watched;
}

/* The thread's mark now (RunMark), from its watch, or else its schedstat.
 * False when neither could be read, and when schedstat reads "0 0 0", as
 * kernels without scheduler statistics print it: a thread that exists was
 * put on a CPU at least once, so zeros prove nothing. */
static bool
read_mark_now(Sampler *sampler, Slot *slot, RunMark *mark)
{
    if (slot->watch.fd < 0 && (int)(sampler->tick - slot->watch_after) >= 0)
        open_watch(sampler, slot);
    OnCpuMark page;
    if (slot->watch.fd >= 0 && OnCpuWatch_read(&slot->watch, &page)) {
        if (!watch_busy(sampler, slot, &page)) {
            *mark = (RunMark){.ran_ns = page.ran_ns, .count = page.seq, .watched = true};
            return true;
        }
        close_watch(sampler, slot);
    }
    char text[128];
    *mark = (RunMark){0};
    return read_task_file(sampler, slot, &slot->schedstat_fd, "schedstat", text, sizeof(text)) >
               0 &&
           Proc_parse_schedstat(text, &mark->ran_ns, &mark->count) == 0 && mark->count > 0;
}

/* read_mark_now, noting what the look says for Sampler_thread_idle_since. */
static bool
read_run_mark(Sampler *sampler, Slot *slot, RunMark *mark)
{
    bool ok = read_mark_now(sampler, slot, mark);
    if (!ok || !slot->looked_ns || !same_mark(mark, &slot->looked_mark))
        saw_run(sampler, slot);
    if (ok)
        slot->looked_mark = *mark;
    slot->looked_ns = sampler->tick_ns;
    return ok;
}

/* Whether the thread is asleep now: not running by its state, and so not
 * to be interrupted. Cheap for a thread that stays asleep: its mark (two
 * loads from its perf watch's page, or else a pread of its schedstat) is
 * read each tick, and its stat (some fifty fields) only when the mark
 * moved, i.e. when it was on a CPU since the last look, or the first time.
 * Either mark moves the moment it is put on a CPU (schedstat's count of
 * times put on one; the page's sequence). A thread woken but not yet run
 * (runnable, waiting for a CPU) still counts as asleep until it runs: then
 * its state is read again, and it is sampled. */
static bool
asleep_now(Sampler *sampler, Slot *slot)
{
    RunMark mark;
    bool have_mark = read_run_mark(sampler, slot, &mark);
    if (have_mark && slot->asleep && same_mark(&mark, &slot->seen))
        return true; /* has not been on a CPU since it was seen asleep */
    slot->asleep = false;
    char text[512];
    ProcStat stat;
    if (read_task_file(sampler, slot, &slot->stat_fd, "stat", text, sizeof(text)) < 0 ||
        Proc_parse_stat(text, &stat) < 0)
        return false; /* unknown: interrupted as before */
    slot->state = stat.state;
    slot->asleep = stat.state != 'R' && have_mark;
    slot->seen = mark;
    return stat.state != 'R';
}

/* Step 4 of the proof: the bytes of the kept copy that its unwind read, and
 * the Python frames read from them, are as they were at the stop. */
static bool
same_stack_now(Sampler *sampler, Slot *slot)
{
    const Snapshot *kept = &slot->kept;
    /* The bytes the unwind read; with Python frames all of them (3.11 and
     * 3.12 find the current frame in the C stack, anywhere in the copy). */
    size_t len = slot->kept_used && slot->kept_used < kept->stack_len && !kept->python
                     ? slot->kept_used
                     : kept->stack_len;
    if (!sampler->scratch)
        sampler->scratch = xmalloc(sampler->options.stack_max);
    struct iovec local = {sampler->scratch, len};
    struct iovec remote = {(void *)(uintptr_t)kept->stack_addr, len};
    if (len > sampler->options.stack_max ||
        process_vm_readv(sampler->pid, &local, 1, &remote, 1, 0) != (ssize_t)len ||
        memcmp(sampler->scratch, kept->stack, len) != 0)
        return false;
    if (!kept->python)
        return true;
    if (!sampler->python)
        return false;
    if (!sampler->py_scratch)
        sampler->py_scratch = xmalloc(sizeof(PyRawStack));
    PyRawStack *now = sampler->py_scratch;
    const PyRawStack *then = kept->python;
    PyFrames_read(sampler->python, kept->tid, &kept->regs, sampler->scratch, kept->stack_addr, len,
                  now);
    if (now->present != then->present || now->holds_gil != then->holds_gil ||
        now->truncated != then->truncated || now->count != then->count)
        return false;
    for (size_t i = 0; i < now->count; i++) {
        const PyRawFrame *a = &now->frames[i], *b = &then->frames[i];
        if (a->code != b->code || a->lasti != b->lasti || a->group_end != b->group_end)
            return false;
    }
    return true;
}

/* Whether the thread's kept snapshot may stand for it in this tick: the
 * rule and its proof are in sampler.h (Sampler_tick). */
static bool
reusable(Sampler *sampler, Slot *slot)
{
    Reuse was = slot->reuse;
    slot->reuse = REUSE_NONE;
    RunMark mark, again;
    if (!read_run_mark(sampler, slot, &mark))
        return false;
    if (was == REUSE_PROVEN) {
        if (!same_mark(&mark, &slot->base))
            return false;
        slot->reuse = REUSE_PROVEN;
        return true;
    }
    char text[512];
    ProcStat stat;
    if (read_task_file(sampler, slot, &slot->stat_fd, "stat", text, sizeof(text)) < 0 ||
        Proc_parse_stat(text, &stat) < 0 || stat.state == 'R')
        return false;
    char path[80];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)sampler->pid, (int)slot->tid);
    long nr;
    uint64_t sp, pc;
    /* One kept in a job-control stop stands only while it is stopped (a
     * SIGCONT'd thread blocked again where it was is not "stopped"). */
    if (slot->kept.group_stopped && stat.state != 'T' && stat.state != 't')
        return false;
    const ArchRegs *regs = &slot->kept.regs;
    if (Util_read_small_file(path, text, sizeof(text)) <= 0 ||
        Proc_parse_syscall(text, &nr, &sp, &pc) < 0 ||
        !(Arch_blocked_again(regs, nr, sp, pc) ||
          (slot->kept.group_stopped && Arch_stopped_again(regs, nr, sp, pc))) ||
        !same_stack_now(sampler, slot) || !read_run_mark(sampler, slot, &again) ||
        !same_mark(&mark, &again))
        return false;
    slot->state = stat.state;
    slot->base = mark;
    slot->reuse = REUSE_PROVEN;
    return true;
}

/* The kept snapshot again, for this tick. */
static void
reuse_snapshot(Sampler *sampler, Slot *slot, uint64_t now, SamplerTickStats *stats)
{
    Snapshot *snap = new_snapshot(sampler);
    *snap = slot->kept;
    snap->t_ns = now;
    snap->stopped_ns = snap->copied_ns = snap->latency_ns = 0;
    snap->reused = true;
    snap->reuse_check = false;
    snap->memo = slot->memo;
    slot->snap_tick = sampler->tick;
    stats->reused++;
}

void
Sampler_leave_sleepers(Sampler *sampler, bool leave)
{
    sampler->options.leave_sleepers = leave;
}

/* Whether the thread may be asked to stop: running, seized or parked (a
 * parked one is seized by Tracer_interrupt). */
static bool
may_interrupt(const TraceThread *thread)
{
    return thread->state == TRACE_RUNNING || thread->state == TRACE_PARKED;
}

static bool
wanted(const Sampler *sampler, pid_t tid)
{
    if (!sampler->options.only_tids)
        return true;
    for (size_t i = 0; i < sampler->options.only_tid_count; i++)
        if (sampler->options.only_tids[i] == tid)
            return true;
    return false;
}

/* The next stop among the threads this tick interrupted (asked of them):
 * Tracer_poll, or with few of them among many threads, a poll of each. */
static int
poll_asked(Sampler *sampler, size_t asked, TraceThread **thread)
{
    /* A waitid(P_ALL) walks every tracee of spytop, other processes' too. */
    if (asked > POLL_EACH_MAX || Tracer_all_thread_count() <= 2 * POLL_EACH_MAX)
        return Tracer_poll(sampler->tracer, thread);
    for (size_t i = 0; i < asked; i++) {
        Slot *slot = find_slot(sampler, sampler->asked_tids[i]);
        if (!slot || !slot->asked)
            continue;
        int r = Tracer_poll_thread(sampler->tracer, slot->tid, thread);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Takes a pending SIGCHLD (blocked) off: whether there was one. */
static bool
take_pending_chld(const sigset_t *chld)
{
    struct timespec zero = {0, 0};
    return sigtimedwait(chld, NULL, &zero) == SIGCHLD;
}

int
Sampler_tick(Sampler *sampler, SamplerTickStats *stats)
{
    memset(stats, 0, sizeof(*stats));
    sampler->snapshot_count = 0; /* the last tick's were handed out: slots may go */
    sampler->tick++;
    sampler->tick_ns = Util_now_ns();
    /* Often enough that the stack copies of threads that ended go to the
     * threads born meanwhile (SPARE_STACKS) under thread churn. */
    if (sampler->tick % 8 == 0)
        prune_slots(sampler);
    Tracer *tracer = sampler->tracer;

    /* SIGCHLD is held for the whole tick (sigtimedwait below). */
    sigset_t chld, old_mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old_mask);
    bool chld_kept = sigismember(&old_mask, SIGCHLD) == 1;
    /* Anything that stopped since the last tick (a late interrupt, a
     * signal) is restarted first, so this tick starts from a clean slate.
     * A drain waits for any tracee, which walks every one of them in the
     * kernel (2,000 sleepers: 0.2 ms). Where the caller keeps SIGCHLD
     * blocked (the event loop reads it from a signalfd and drains), no
     * SIGCHLD pending and nothing handed over means nothing to drain: every
     * report of a tracee comes with a SIGCHLD to spytop, and each one taken
     * off (by the loop, or by a tick below) is followed by a drain. */
    bool backstop = sampler->tick_ns - sampler->drained_ns >= DRAIN_BACKSTOP_NS;
    if (!chld_kept || backstop || Tracer_has_handed(tracer) || take_pending_chld(&chld)) {
        Tracer_drain(tracer);
        sampler->drained_ns = sampler->tick_ns;
    }
    /* New threads are looked for every SYNC_INTERVAL_NS, not every tick,
     * and the directory listed only when they may have changed. */
    uint64_t now = Util_now_ns();
    if (sampler->tick == 1 || now - sampler->synced_ns >= SYNC_INTERVAL_NS) {
        int r =
            sampler->tick == 1 ? Tracer_sync_threads(tracer) : Tracer_sync_changed_threads(tracer);
        if (r < 0) {
            sigprocmask(SIG_SETMASK, &old_mask, NULL);
            return r;
        }
        sampler->synced_ns = now;
    }
    if (Tracer_exec_count(tracer) != sampler->execs) {
        sampler->execs = Tracer_exec_count(tracer);
        drop_all_slots(sampler);
    }
    if (sampler->python)
        PyFrames_begin_tick(sampler->python);

    /* Every interrupt in one tight loop, so the threads stop at nearly the
     * same moment. Whether a thread was waiting comes from its registers
     * (session.c), not from a /proc read per thread per tick. */
    size_t candidates = 0;
    for (size_t i = 0; i < Tracer_thread_count(tracer); i++) {
        TraceThread *thread = Tracer_thread(tracer, i);
        if (!may_interrupt(thread) || !wanted(sampler, thread->tid))
            continue;
        Slot *slot = get_slot(sampler, thread->tid);
        slot->last_tick = sampler->tick;
        slot->asked = false;
        if (thread->interrupt_pending) {
            stats->late++; /* still owes us the stop of an earlier tick */
            continue;
        }
        if (sampler->options.leave_sleepers) {
            if (asleep_now(sampler, slot)) {
                Snapshot *snap = new_snapshot(sampler);
                snap->tid = thread->tid;
                snap->t_ns = now;
                snap->state = slot->state;
                snap->status = SAMPLE_ASLEEP;
                stats->asleep++;
                continue;
            }
        } else if (slot->reuse != REUSE_NONE && reusing(sampler) && reusable(sampler, slot) &&
                   sampler->options.reuse != SLEEPER_REUSE_CHECK) {
            reuse_snapshot(sampler, slot, now, stats);
            continue;
        }
        slot->asked = true; /* tentatively: confirmed by the interrupt below */
        saw_run(sampler, slot);
        ensure_stack_buffer(sampler, slot); /* now, not while the thread is stopped */
        candidates++;
    }
    size_t asked = 0;
    Tracer_seize_batch(true);
    for (size_t i = 0; i < Tracer_thread_count(tracer) && candidates; i++) {
        TraceThread *thread = Tracer_thread(tracer, i);
        Slot *slot = may_interrupt(thread) ? find_slot(sampler, thread->tid) : NULL;
        if (!slot || !slot->asked)
            continue;
        int err = Tracer_interrupt(tracer, thread);
        if (err == 0) {
            if (asked == sampler->asked_cap) {
                sampler->asked_cap = sampler->asked_cap ? sampler->asked_cap * 2 : 64;
                sampler->asked_tids =
                    xreallocarray(sampler->asked_tids, sampler->asked_cap, sizeof(pid_t));
            }
            sampler->asked_tids[asked++] = thread->tid;
        } else {
            slot->asked = false;
            if (err == -ESRCH)
                stats->gone++;
        }
    }
    Tracer_seize_batch(false);
    stats->threads = asked;
    int r;

    uint64_t start = Util_now_ns();
    uint64_t deadline = start + sampler->options.deadline_ns;
    size_t done = 0;
    bool took_chld = false;
    while (done < asked) {
        TraceThread *thread;
        r = poll_asked(sampler, asked, &thread);
        if (r < 0) {
            if (took_chld)
                raise(SIGCHLD); /* for the caller's loop: others may wait */
            sigprocmask(SIG_SETMASK, &old_mask, NULL);
            return r;
        }
        if (r == 1) {
            uint64_t seen = Util_now_ns();
            Slot *slot = find_slot(sampler, thread->tid);
            if (slot && slot->asked) {
                slot->asked = false;
                done++;
            } else if (!slot) {
                slot = get_slot(sampler, thread->tid);
            } else if (slot->snap_tick == sampler->tick) {
                /* An unasked stop (SIGSTOP, a group-stop ended) of a thread
                 * this tick already has a snapshot of: a copy now would
                 * overwrite the stack that snapshot points to, and count
                 * the thread twice. */
                Tracer_resume(tracer, thread);
                continue;
            }
            take_snapshot(sampler, thread, slot, seen, stats);
            continue;
        }
        /* Threads that exited were reaped by the poll. */
        for (size_t i = 0; i < asked; i++) {
            Slot *slot = find_slot(sampler, sampler->asked_tids[i]);
            TraceThread *t = slot && slot->asked ? Tracer_find(tracer, slot->tid) : NULL;
            if (slot && slot->asked && (!t || t->state == TRACE_GONE)) {
                slot->asked = false;
                stats->gone++;
                done++;
            }
        }
        if (done >= asked)
            break;
        now = Util_now_ns();
        if (now >= deadline) {
            for (size_t i = 0; i < asked; i++) {
                Slot *slot = find_slot(sampler, sampler->asked_tids[i]);
                if (!slot || !slot->asked)
                    continue;
                Snapshot *snap = new_snapshot(sampler);
                snap->tid = slot->tid;
                snap->state = slot->state;
                snap->status = SAMPLE_LATE;
                slot->asked = false;
                stats->late++;
            }
            break;
        }
        if (now - start >= SPIN_NS) {
            uint64_t left = deadline - now;
            struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
            if (sigtimedwait(&chld, NULL, &ts) == SIGCHLD)
                took_chld = true;
        }
    }
    /* The SIGCHLDs of this tick's stops may hide one of a thread it did not
     * wait for (a signal to deliver, an exit): that thread is restarted or
     * reaped now, not at the next tick. Where the caller keeps SIGCHLD, by
     * one drain here, after taking the SIGCHLD off (a later report brings
     * its own): the caller's loop would drain for it again. Else the
     * caller must see it. */
    if (chld_kept) {
        if (take_pending_chld(&chld) || took_chld) {
            Tracer_drain(tracer);
            sampler->drained_ns = Util_now_ns();
        }
        /* Stops of another process's threads, handed to its Tracer by a
         * wait of this one: its drain must come now, from the caller's
         * loop (which drains every process on SIGCHLD). */
        if (Tracer_any_handed())
            raise(SIGCHLD);
    } else if (took_chld) {
        raise(SIGCHLD);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    stats->tick_ns = Util_now_ns() - start;
    return 0;
}

bool
Sampler_thread_idle_since(Sampler *sampler, pid_t tid, uint64_t since_ns)
{
    const Slot *slot = find_slot(sampler, tid);
    return slot && slot->ran_ns && slot->ran_ns < since_ns && slot->looked_ns >= since_ns;
}

void
Sampler_set_python(Sampler *sampler, PyFrames *py)
{
    sampler->python = py;
}

size_t
Sampler_snapshot_count(const Sampler *sampler)
{
    return sampler->snapshot_count;
}

const Snapshot *
Sampler_snapshot(const Sampler *sampler, size_t index)
{
    return index < sampler->snapshot_count ? &sampler->snapshots[index] : NULL;
}

void
Sampler_stack_used(Sampler *sampler, pid_t tid, size_t used, bool ran_out)
{
    Slot *slot = find_slot(sampler, tid);
    if (!slot)
        return;
    size_t want;
    if (slot->reuse == REUSE_PENDING && !slot->kept_used)
        slot->kept_used = used; /* the unwind of the snapshot kept */
    if (ran_out)
        want = slot->want * 4;
    else
        want = (used + used / 2 + 4096 + 4095) & ~(size_t)4095;
    if (want < SAMPLER_STACK_MIN)
        want = SAMPLER_STACK_MIN;
    if (want > sampler->options.stack_max)
        want = sampler->options.stack_max;
    slot->want = want;
}
