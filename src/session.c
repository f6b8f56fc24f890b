#include "config.h"

#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images.h"
#include "proc.h"
#include "ptrace.h"
#include "util.h"

#define DEFAULT_DEADLINE_NS (10u * 1000 * 1000)
#define FRAMES_PER_PC_GUESS 4

struct Session {
    pid_t pid;
    SessionOptions options;
    Tracer *tracer;
    Images *images;
    Sampler *sampler;
    Unwinder *unwinder;
    Symtab *symtab;
    Symbolizer *symbolizer;
    UnwoundFrame *pcs;
    FrameId *frames;
    size_t frames_cap;
    unsigned maps_generation; /* of the images, when last told to the symbolizer */
};

static char *
permission_hint(pid_t pid)
{
    char scope[16] = "";
    Util_read_small_file("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof(scope));
    scope[strcspn(scope, "\n")] = '\0';
    return xasprintf("cannot attach to PID %d: permission denied; run spytop as the same user "
                     "or as root, or grant CAP_SYS_PTRACE (in a container: --cap-add "
                     "SYS_PTRACE)%s%s%s",
                     (int)pid, scope[0] ? ", or lower kernel.yama.ptrace_scope (now " : "", scope,
                     scope[0] ? ")" : "");
}

static char *
busy_hint(pid_t pid)
{
    int tracer = Proc_tracer_pid(pid);
    char name[64] = "?";
    if (tracer > 0)
        Proc_thread_name(tracer, 0, name, sizeof(name));
    return xasprintf("PID %d is already traced by PID %d (%s); detach that debugger first, "
                     "only one tracer can attach at a time",
                     (int)pid, tracer, name);
}

static int
attach(Session *s, int *err, char **cause)
{
    ProcStat before, after;
    int r = Proc_read_stat(s->pid, 0, &before);
    if (r < 0) {
        *err = -ESRCH;
        *cause = xasprintf("no process with PID %d", (int)s->pid);
        return -1;
    }
    if (before.state == 'Z' || before.state == 'X') {
        *err = -ESRCH;
        *cause = xasprintf("PID %d has exited (zombie)", (int)s->pid);
        return -1;
    }
    r = Tracer_seize(s->tracer, s->pid);
    if (r == -EPERM) {
        *err = r;
        *cause = permission_hint(s->pid);
        return -1;
    }
    if (r == -EBUSY) {
        *err = r;
        *cause = busy_hint(s->pid);
        return -1;
    }
    if (r < 0) {
        *err = r;
        *cause = r == -ESRCH ? xasprintf("no process with PID %d", (int)s->pid)
                             : xasprintf("cannot attach to PID %d: %s", (int)s->pid, strerror(-r));
        return -1;
    }
    /* The pid could have been reused between the check and the seize. */
    if (Proc_read_stat(s->pid, 0, &after) < 0 || after.start_ticks != before.start_ticks) {
        *err = -ESTALE;
        *cause = xasprintf("PID %d changed while attaching (the process exited and the PID "
                           "was reused); nothing was sampled",
                           (int)s->pid);
        return -1;
    }
    r = Tracer_sync_threads(s->tracer);
    if (r < 0) {
        *err = r;
        *cause = xasprintf("cannot attach to the threads of PID %d: %s", (int)s->pid,
                           strerror(-r));
        return -1;
    }
    return 0;
}

Session *
Session_open(pid_t pid, Symtab *symtab, const SessionOptions *options, int *err, char **cause)
{
    Session *s = xcalloc(1, sizeof(*s));
    s->pid = pid;
    s->options = *options;
    if (!s->options.stack_max)
        s->options.stack_max = SAMPLER_STACK_DEFAULT_MAX;
    if (!s->options.deadline_ns)
        s->options.deadline_ns = DEFAULT_DEADLINE_NS;
    if (!s->options.max_depth || s->options.max_depth > UNWIND_MAX_DEPTH)
        s->options.max_depth = UNWIND_MAX_DEPTH;
    *err = 0;
    *cause = NULL;

    /* Everything that reads files is done before any thread is stopped. */
    s->symtab = symtab;
    s->images = Images_new(pid);
    int r = Images_refresh(s->images);
    if (r < 0) {
        *err = r == -ENOENT ? -ESRCH : r;
        *cause = r == -ENOENT ? xasprintf("no process with PID %d", (int)pid)
                 : r == -EACCES
                     ? permission_hint(pid)
                     : xasprintf("reading /proc/%d/maps: %s", (int)pid, strerror(-r));
        goto fail;
    }
    s->unwinder = Unwinder_new(s->images, cause);
    if (!s->unwinder) {
        *err = -ENOMEM;
        goto fail;
    }
    s->symbolizer = Symbolizer_new(pid, s->symtab, cause);
    if (!s->symbolizer) {
        *err = -EIO;
        goto fail;
    }
    s->maps_generation = Images_generation(s->images);
    s->tracer = Tracer_new(pid);
    if (attach(s, err, cause) < 0)
        goto fail;
    SamplerOptions so = {
        .stack_max = s->options.stack_max,
        .deadline_ns = s->options.deadline_ns,
        .detach = s->options.detach_after_tick,
        .only_tids = s->options.only_tids,
        .only_tid_count = s->options.only_tid_count,
    };
    s->sampler = Sampler_new(s->tracer, pid, &so);
    s->pcs = xcalloc(s->options.max_depth, sizeof(*s->pcs));
    return s;
fail:
    Session_delete(s);
    return NULL;
}

size_t
Session_detach(Session *s, uint64_t timeout_ns)
{
    if (!s->tracer)
        return 0;
    size_t left = Tracer_detach_all(s->tracer, timeout_ns);
    Sampler_delete(s->sampler);
    s->sampler = NULL;
    Tracer_delete(s->tracer);
    s->tracer = NULL;
    return left;
}

void
Session_delete(Session *s)
{
    if (!s)
        return;
    Session_detach(s, 0);
    Symbolizer_delete(s->symbolizer);
    Unwinder_delete(s->unwinder);
    Images_delete(s->images);
    free(s->pcs);
    free(s->frames);
    free(s);
}

static void
push_frame_id(Session *s, size_t *n, FrameId id)
{
    if (*n == s->frames_cap) {
        s->frames_cap = s->frames_cap ? s->frames_cap * 2 : 256;
        s->frames = xreallocarray(s->frames, s->frames_cap, sizeof(FrameId));
    }
    s->frames[(*n)++] = id;
}

/* After the threads run again: unwind, symbolize, intern, hand out. */
static void
process_snapshot(Session *s, const Snapshot *snap, SessionSampleFn fn, void *arg)
{
    Sample sample = {
        .t_ns = snap->t_ns,
        .tid = snap->tid,
        .state = snap->state,
        .group_stopped = snap->group_stopped,
        .status = snap->status,
        .stopped_ns = snap->stopped_ns,
        .blocked = (snap->status == SAMPLE_OK || snap->status == SAMPLE_NO_STACK) &&
                   Arch_in_interrupted_syscall(&snap->regs),
        .end = UNWIND_COMPLETE,
    };
    UnwindResult result = {0};
    if (snap->status == SAMPLE_OK || snap->status == SAMPLE_NO_STACK) {
        Unwinder_unwind(s->unwinder, snap, s->pcs, s->options.max_depth, &result);
        if (snap->status == SAMPLE_OK)
            Sampler_stack_used(s->sampler, snap->tid, result.stack_used, result.ran_out);
        sample.end = result.end;
        if (Images_generation(s->images) != s->maps_generation) {
            s->maps_generation = Images_generation(s->images);
            Symbolizer_maps_changed(s->symbolizer);
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < result.count; i++) {
        SymbolizedPc sym;
        Symbolizer_lookup(s->symbolizer, s->pcs[i].pc, s->pcs[i].exact, &sym);
        for (size_t k = 0; k < sym.count; k++)
            push_frame_id(s, &n, sym.frames[k]);
    }
    sample.stack = Symtab_intern_stack(s->symtab, s->frames, n);
    SampleTrace trace = {s->pcs, result.count};
    fn(arg, &sample, &trace);
}

int
Session_tick(Session *s, SessionSampleFn fn, void *arg, SamplerTickStats *stats)
{
    int r = Sampler_tick(s->sampler, stats);
    if (r < 0)
        return r;
    for (size_t i = 0; i < Sampler_snapshot_count(s->sampler); i++)
        process_snapshot(s, Sampler_snapshot(s->sampler, i), fn, arg);
    return 0;
}

void
Session_service(Session *s)
{
    if (s->tracer)
        Tracer_drain(s->tracer);
}

pid_t
Session_pid(const Session *s)
{
    return s->pid;
}

Symbolizer *
Session_symbolizer(Session *s)
{
    return s->symbolizer;
}

Tracer *
Session_tracer(Session *s)
{
    return s->tracer;
}

bool
Session_target_exited(const Session *s, int *wait_status)
{
    return s->tracer && Tracer_target_exited(s->tracer, wait_status);
}
