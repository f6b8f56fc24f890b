/* One tick: interrupt every thread to sample, and for each as soon as it
 * stops copy its registers and the top of its stack (one process_vm_readv),
 * then resume it, or park it (Tracer_park) when the stop found it blocked
 * in a system call, or detach it (a one-shot dump). Nothing is unwound or
 * looked up while a thread is stopped. The snapshots belong to the sampler
 * and stay valid until the next tick. */
#ifndef SPYTOP_SRC_SAMPLER_H
#define SPYTOP_SRC_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracer.h"
#include "pyframes.h"
#include "snapshot.h"

#define SAMPLER_STACK_MIN (8u << 10)
#define SAMPLER_STACK_DEFAULT_MAX (256u << 10)

/* Whether a sleeping thread's last stack is reused while it provably has
 * not run (see Sampler_tick); CHECK stops it anyway and marks the snapshot
 * for comparison (SPYTOP_SLEEPER_REUSE=check). */
typedef enum SleeperReuse {
    SLEEPER_REUSE_ON,
    SLEEPER_REUSE_OFF,
    SLEEPER_REUSE_CHECK,
} SleeperReuse;

/* Task files and perf watches kept open (two or three a thread), at most max, counted across the
 * Samplers that share the budget (one per process followed). */
typedef struct FdBudget {
    size_t used, max;
} FdBudget;

/* A budget of half the descriptors spytop may have: maps, ELF files and
 * recordings need the rest. */
FdBudget FdBudget_default(void);

typedef struct SamplerOptions {
    FdBudget *fd_budget;    /* shared with other Samplers; NULL: its own */
    size_t stack_max;       /* largest copy per thread, bytes */
    uint64_t deadline_ns;   /* how long a tick waits for threads to stop */
    bool detach;            /* detach each thread after its copy (dump) */
    const pid_t *only_tids; /* interrupt only these threads (NULL: all); borrowed */
    size_t only_tid_count;
    bool leave_sleepers; /* see Sampler_leave_sleepers */
    SleeperReuse reuse;
    /* Whether a thread was on a CPU since the last look is read from a perf
     * event's page (oncpu.h), or, where perf events are not allowed, from
     * its schedstat; true: from schedstat always (SPYTOP_ONCPU=schedstat). */
    bool oncpu_schedstat;
} SamplerOptions;

typedef struct SamplerTickStats {
    size_t threads; /* threads asked to stop */
    size_t asleep;  /* threads left alone: not running (SAMPLE_ASLEEP) */
    size_t sampled; /* snapshots with registers, taken this tick */
    size_t reused;  /* sleepers not stopped: their last snapshot again */
    size_t late, gone, failed;
    uint64_t tick_ns; /* first interrupt -> last resume */
    uint64_t max_stopped_ns;
} SamplerTickStats;

typedef struct Sampler Sampler;

Sampler *Sampler_new(Tracer *tracer, pid_t pid, const SamplerOptions *options);
void Sampler_delete(Sampler *sampler);

/* Takes one sample of every thread. 0, or -errno when the target is gone
 * (-ESRCH) or the tracer failed.
 *
 * Reusing a sleeper's stack (when sleepers are not left alone, the sampler
 * does not detach, and reuse is not off). A thread stopped in a system call
 * goes back into it when resumed (the kernel restarts the call, or, as for
 * epoll_wait, the call fails with EINTR and the program calls it again).
 * At the next tick it is proven asleep where it was, without stopping it:
 *   1. its run mark is read: the sequence and run time of its perf watch's
 *      page (oncpu.h), which move when it is switched in or out; or, where
 *      perf events are not allowed, its schedstat (run time, times put on
 *      a CPU);
 *   2. its stat says it is not running;
 *   3. its /proc/TID/syscall shows the same call (or restart_syscall), sp
 *      and pc as the stop's registers; for a thread the stop found in a
 *      job-control stop (SIGSTOP), which stays stopped after the snapshot
 *      and so was caught wherever it ran, no call (-1) at the same sp and
 *      pc;
 *   4. the stack bytes the unwind read, and its Python frames, are as
 *      they were copied at the stop;
 *   5. its run mark is unchanged since 1.
 * 5 means it was not put on a CPU between 1 and 5; 2, in that window, that
 * it was off one; so from 5 on, running at all moves the mark (a switch
 * in rewrites the page; it adds one to schedstat's count). Until the mark
 * moves, the thread has executed
 * nothing: its registers, and its stack and frames, which only it writes,
 * are those of the stop, and the snapshot is taken again (reused) instead of
 * stopping it. A thread asleep for an hour is stopped once. Other threads
 * may write into a sleeper's stack (a shared buffer); they cannot move its
 * call chain, which the unwind follows; 4 compares all the bytes it read
 * once. What the rule leaves open (registers /proc does not show, such as
 * a frame pointer of the blocked frame) SPYTOP_SLEEPER_REUSE=check
 * measures: every reusable thread is stopped and its stack compared. */
int Sampler_tick(Sampler *sampler, SamplerTickStats *stats);

/* Whether thread tid provably has not run since since_ns (Util_now_ns):
 * a look at its run mark (default view, --idle, record: each tick) before
 * then, and every one since, found the same mark. False when unknown: not
 * looked at since, no mark, or stopped since. Its CPU time has not moved
 * then: the live view does not read its stat. */
bool Sampler_thread_idle_since(Sampler *sampler, pid_t tid, uint64_t since_ns);

/* Also read each thread's Python frames while it is stopped (py borrowed;
 * NULL: no more). */
void Sampler_set_python(Sampler *sampler, PyFrames *py);

/* Whether threads that are not running are left alone. A thread whose
 * /proc/PID/task/TID/stat says it is not running (S, D, I, ...: blocked
 * in the kernel) is not interrupted: interrupting it would wake it (its
 * blocking call is restarted), and its sample would be idle, which the
 * view leaves out unless idle threads are asked for. It gets a
 * SAMPLE_ASLEEP snapshot instead: counted, with no stack. The state is
 * read just before the interrupts; a thread that wakes after the read is
 * counted asleep in this tick and sampled in the next one after it ran.
 * Each thread's run mark (see Sampler_tick) is read at each tick: two
 * loads from its perf watch's page, or a pread of its schedstat kept open;
 * its stat only when the mark moved (see asleep_now in sampler.c). */
void Sampler_leave_sleepers(Sampler *sampler, bool leave);

size_t Sampler_snapshot_count(const Sampler *sampler);
const Snapshot *Sampler_snapshot(const Sampler *sampler, size_t index);

/* Feedback from the unwinder: how many bytes above the copy's start the
 * last unwind of tid used, and whether it ran off the end of the copy.
 * Sizes the next copy of that thread. */
void Sampler_stack_used(Sampler *sampler, pid_t tid, size_t used, bool ran_out);

#endif
