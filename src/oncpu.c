/* A thread's switches in and out of a CPU, from a perf event's control
 * page (see oncpu.h). */
#define _GNU_SOURCE
#include "oncpu.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int
OnCpuWatch_open(OnCpuWatch *watch, pid_t tid)
{
    *watch = ONCPU_WATCH_NONE;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    /* Nothing is counted or sampled; user space only, which is what
     * perf_event_paranoid 2 (the kernel's default) allows anyone who may
     * ptrace the thread. */
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* The control page alone: no ring buffer behind it. */
    void *page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, (int)fd, 0);
    if (page == MAP_FAILED) {
        int err = errno;
        close((int)fd);
        return -err;
    }
    watch->fd = (int)fd;
    watch->page = page;
    return 0;
}

bool
OnCpuWatch_read(const OnCpuWatch *watch, OnCpuMark *mark)
{
    const struct perf_event_mmap_page *page = watch->page;
    if (!page)
        return false;
    /* The kernel's seqlock: odd while it writes, moved once it wrote. */
    for (int tries = 0; tries < 64; tries++) {
        uint32_t seq = __atomic_load_n(&page->lock, __ATOMIC_ACQUIRE);
        if (seq & 1)
            continue;
        uint64_t ran = __atomic_load_n(&page->time_running, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&page->lock, __ATOMIC_RELAXED) == seq) {
            *mark = (OnCpuMark){.ran_ns = ran, .seq = seq};
            return true;
        }
    }
    return false;
}

void
OnCpuWatch_close(OnCpuWatch *watch)
{
    if (watch->page)
        munmap(watch->page, (size_t)sysconf(_SC_PAGESIZE));
    if (watch->fd >= 0)
        close(watch->fd);
    *watch = ONCPU_WATCH_NONE;
}

bool
OnCpuWatch_refused_everywhere(int err)
{
    /* Not for one thread but for all: forbidden (EACCES, EPERM: paranoid
     * setting, seccomp, no CAP_PERFMON) or absent (ENOSYS, ENOENT, EINVAL,
     * EOPNOTSUPP). A thread gone (ESRCH) or descriptors run out (EMFILE)
     * are this thread's, or this moment's. */
    return err == -EACCES || err == -EPERM || err == -ENOSYS || err == -ENOENT || err == -EINVAL ||
           err == -EOPNOTSUPP || err == -ENODEV;
}
