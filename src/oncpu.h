/* Whether a thread has been on a CPU since a look, read from memory: no
 * system call per thread per tick.
 *
 * A perf software event that counts nothing (PERF_COUNT_SW_DUMMY) is opened
 * on the thread, and its control page mapped. The kernel rewrites that page
 * each time it switches the thread in or out, under a sequence count; the
 * count, and the time the thread ran that the page carries, move at once
 * when the thread is put on a CPU. Reading them is two loads, against one
 * pread of /proc/PID/task/TID/schedstat (about 2 us, with a file lookup and
 * formatting in the kernel) for each thread at each tick.
 *
 * The thread pays for it at its own context switches (the kernel switches
 * the event in and out with it: about 1.5 us a switch in and out, measured
 * with a pipe ping-pong between two threads), and only while spytop holds
 * the event: closing the descriptor, or spytop's end, removes it. So the
 * sampler watches sleepers, not threads that run at every tick (see
 * WATCH_BUSY_TICKS in sampler.c). Where perf events are not
 * allowed (perf_event_paranoid above 2 without CAP_PERFMON, a seccomp
 * filter, no perf in the kernel) OnCpuWatch_open fails and the caller reads
 * schedstat instead. The only user of perf_event_open(2). */
#ifndef SPYTOP_SRC_ONCPU_H
#define SPYTOP_SRC_ONCPU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct OnCpuWatch {
    int fd;     /* -1: not open */
    void *page; /* the event's control page, mapped read-only */
} OnCpuWatch;

/* What the page said at one look: equal marks, and the thread was off a CPU
 * at the first, mean it was not put on one in between. */
typedef struct OnCpuMark {
    uint64_t ran_ns; /* time on a CPU since the watch was opened */
    uint32_t seq;    /* moves at each switch in or out */
} OnCpuMark;

#define ONCPU_WATCH_NONE ((OnCpuWatch){.fd = -1, .page = NULL})

static inline bool
OnCpuMark_equal(const OnCpuMark *a, const OnCpuMark *b)
{
    return a->seq == b->seq && a->ran_ns == b->ran_ns;
}

/* Opens a watch on thread tid: 0, or -errno (EACCES, EPERM: not allowed;
 * ENOSYS, ENOENT, EINVAL: not in this kernel; EMFILE: out of descriptors;
 * ESRCH: no such thread). */
int OnCpuWatch_open(OnCpuWatch *watch, pid_t tid);

/* The watch's mark now. False while the kernel rewrites the page for too
 * long to wait (a mark not read proves nothing). */
bool OnCpuWatch_read(const OnCpuWatch *watch, OnCpuMark *mark);

void OnCpuWatch_close(OnCpuWatch *watch);

/* Whether an error of OnCpuWatch_open says no thread of this system may be
 * watched (the caller stops trying), rather than this one thread. */
bool OnCpuWatch_refused_everywhere(int err);

#endif
