#include "config.h"

#include "naive_sampler.h"

#include <errno.h>
#include <libunwind-ptrace.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "util.h"

/* Bounds the walk of a corrupt stack; the probe is far shallower. */
#define NAIVE_MAX_FRAMES 4096

struct NaiveSampler {
    pid_t tid;
};

/* Waits for the stop of an interrupt. A signal-delivery stop on the way is
 * restarted with its signal (the interrupt stays pending). Group-stops are
 * not told apart: the probe is never stopped by anyone else. */
static int
wait_interrupt_stop(pid_t tid)
{
    for (;;) {
        int status;
        pid_t r = waitpid(tid, &status, __WALL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status))
            return -ESRCH;
        if (!WIFSTOPPED(status))
            continue;
        if ((status >> 16) == PTRACE_EVENT_STOP)
            return 0;
        if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)WSTOPSIG(status)) < 0)
            return -errno;
    }
}

NaiveSampler *
NaiveSampler_new(pid_t tid, char **cause)
{
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
        if (cause)
            *cause = xasprintf("PTRACE_SEIZE %d: %s", (int)tid, strerror(errno));
        return NULL;
    }
    NaiveSampler *naive = xcalloc(1, sizeof(*naive));
    naive->tid = tid;
    return naive;
}

void
NaiveSampler_delete(NaiveSampler *naive)
{
    if (!naive)
        return;
    if (ptrace(PTRACE_INTERRUPT, naive->tid, NULL, NULL) == 0 &&
        wait_interrupt_stop(naive->tid) == 0)
        ptrace(PTRACE_DETACH, naive->tid, NULL, NULL);
    free(naive);
}

int
NaiveSampler_tick(NaiveSampler *naive, NaiveSample *out)
{
    memset(out, 0, sizeof(*out));
    uint64_t t0 = Util_now_ns();
    if (ptrace(PTRACE_INTERRUPT, naive->tid, NULL, NULL) < 0)
        return -errno;
    int r = wait_interrupt_stop(naive->tid);
    if (r < 0)
        return r;
    uint64_t t1 = Util_now_ns();

    /* What the profilers this is modelled on do: a fresh _UPT context and
     * address space per sample, every read a ptrace call. */
    void *upt = _UPT_create(naive->tid);
    unw_addr_space_t as = upt ? unw_create_addr_space(&_UPT_accessors, 0) : NULL;
    unw_cursor_t cursor;
    if (as && unw_init_remote(&cursor, as, upt) == 0) {
        out->frames = 1;
        while (out->frames < NAIVE_MAX_FRAMES && unw_step(&cursor) > 0)
            out->frames++;
    }
    uint64_t t2 = Util_now_ns();
    long cont = ptrace(PTRACE_CONT, naive->tid, NULL, NULL);
    int cont_errno = errno;
    uint64_t t3 = Util_now_ns();
    if (as)
        unw_destroy_addr_space(as);
    if (upt)
        _UPT_destroy(upt);

    out->latency_ns = t1 - t0;
    out->unwind_ns = t2 - t1;
    out->resume_ns = t3 - t2;
    out->stopped_ns = t3 - t1;
    return cont < 0 ? -cont_errno : 0;
}
