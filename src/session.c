#include "config.h"

#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "framebuf.h"
#include "images.h"
#include "proc.h"
#include "pyframes.h"
#include "pymerge.h"
#include "tracer.h"
#include "util.h"

/* A thread that has not stopped by then (no CPU for it, or in D state) is
 * skipped for this tick; its stop is collected and sampled in a later one.
 * Shorter than a 100 Hz period, so a crowded machine still gets ticks. */
#define DEFAULT_DEADLINE_NS (3u * 1000 * 1000)
#define FRAMES_PER_PC_GUESS 4
/* Looking for the interpreter again, when it was not found (yet): soon at
 * first (a runtime initialising, a library about to be mapped), then more
 * rarely; each exec or change of the mappings starts over. */
#define PYTHON_RETRY_MIN_NS (200u * 1000 * 1000)
#define PYTHON_RETRY_MAX_NS (2000u * 1000 * 1000)

struct Session {
    pid_t pid;
    /* The process the PID named when spytop first looked: its start time and
     * a pidfd (-1 where the kernel has none). Checked once attached, so a
     * PID reused meanwhile is never sampled in its place. */
    uint64_t start_ticks;
    int pidfd;
    bool leader_gone; /* the leader is a zombie, other threads run */
    pid_t mem_pid;    /* whose /proc/N and memory to read: pid, or a live thread */
    unsigned execs;   /* the tracer's exec count when last seen */
    SessionOptions options;
    Tracer *tracer;
    Images *images;
    Sampler *sampler;
    Unwinder *unwinder;
    Symtab *symtab;
    Symbolizer *symbolizer;
    UnwoundFrame *pcs;
    FrameBuf stack;           /* the stack being built */
    unsigned maps_generation; /* of the images, when last told to the symbolizer */
    PyFrames *python;
    char *python_version;
    char *python_problem;
    const char *locals_problem;              /* borrowed from python */
    const char *tasks_problem;               /* borrowed from python */
    unsigned python_changes;                 /* how often the two above changed */
    Backoff python_retry;                    /* while s->python is NULL */
    PyMerge *merge;                          /* made with the first reader, kept across an exec */
    uint64_t reuse_checks, reuse_mismatches; /* SPYTOP_SLEEPER_REUSE=check */
    bool exited;     /* the target's exit, as the tracer saw it before it went */
    int exit_status; /* (Session_detach) */
};

/* Why attaching was refused, with the fix for that reason. */
static char *
permission_hint(pid_t pid)
{
    if (pid == getpid())
        return xasprintf("PID %d is spytop itself; give the PID of the process to profile",
                         (int)pid);
    if (Proc_is_kernel_thread(pid))
        return xasprintf("PID %d is a kernel thread: it runs no user-space code for spytop to "
                         "sample",
                         (int)pid);
    char scope[16] = "";
    Util_read_small_file("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof(scope));
    scope[strcspn(scope, "\n")] = '\0';
    if (geteuid() == 0)
        return xasprintf("cannot attach to PID %d: permission denied although spytop runs as "
                         "root: it lacks CAP_SYS_PTRACE (in a container: --cap-add SYS_PTRACE)%s",
                         (int)pid,
                         strcmp(scope, "3") == 0
                             ? ", and kernel.yama.ptrace_scope is 3: no process may be traced "
                               "until the next boot"
                             : "");
    uid_t owner;
    if (Proc_owner(pid, &owner) && owner == geteuid())
        return xasprintf("cannot attach to PID %d: permission denied although it runs as your "
                         "user: it is not dumpable (a setuid or file-capability program, or it "
                         "called prctl(PR_SET_DUMPABLE, 0))%s; run spytop as root or grant it "
                         "CAP_SYS_PTRACE",
                         (int)pid,
                         scope[0] && strcmp(scope, "0") != 0
                             ? ", or kernel.yama.ptrace_scope (not 0) allows tracing only "
                               "descendants"
                             : "");
    return xasprintf("cannot attach to PID %d: permission denied; run spytop as the user that "
                     "owns it or as root, or grant CAP_SYS_PTRACE (in a container: --cap-add "
                     "SYS_PTRACE)%s%s%s",
                     (int)pid, scope[0] ? ", or lower kernel.yama.ptrace_scope (now " : "", scope,
                     scope[0] ? ")" : "");
}

static char *
busy_hint(pid_t pid)
{
    int tracer = Proc_tracer_pid(pid, 0);
    char name[64] = "?";
    if (tracer > 0)
        Proc_thread_name(tracer, 0, name, sizeof(name));
    return xasprintf("PID %d is already traced by PID %d (%s); detach that debugger first, "
                     "only one tracer can attach at a time",
                     (int)pid, tracer, name);
}

/* Looks the process up: it exists, is not a zombie; remembers which
 * process it is (start time, pidfd). */
static int
identify(Session *s, int *err, char **cause)
{
    ProcStat stat;
    int r = Proc_read_stat(s->pid, 0, &stat);
    if (r == -EMFILE || r == -ENFILE || r == -ENOMEM) {
        *err = r; /* spytop's own want, not the target's absence */
        *cause = xasprintf("cannot read /proc/%d/stat: %s", (int)s->pid, strerror(-r));
        return -1;
    }
    if (r < 0) {
        *err = -ESRCH;
        *cause = xasprintf("no process with PID %d", (int)s->pid);
        return -1;
    }
    pid_t live = Proc_live_thread(s->pid);
    if (!live) {
        *err = -ESRCH;
        *cause = xasprintf("PID %d has exited (zombie)", (int)s->pid);
        return -1;
    }
    if (live != s->pid) {
        /* The leader called pthread_exit; the other threads run on. Its
         * memory and maps are gone with it: read them through a live one. */
        s->leader_gone = true;
        s->mem_pid = live;
    }
    if (s->options.expect_start_ticks && stat.start_ticks != s->options.expect_start_ticks) {
        *err = -ESTALE;
        *cause = xasprintf("PID %d exited and its PID now names another process; left alone",
                           (int)s->pid);
        return -1;
    }
    s->start_ticks = stat.start_ticks;
    s->pidfd = Proc_pidfd_open(s->pid);
    return 0;
}

/* Whether the process now at the PID is the one identify() saw. */
static bool
same_process(const Session *s)
{
    ProcStat now;
    int r = Proc_read_stat(s->pid, 0, &now);
    bool unreadable = r == -EMFILE || r == -ENFILE || r == -ENOMEM; /* spytop's want */
    if (!unreadable && (r < 0 || now.start_ticks != s->start_ticks))
        return false;
    return s->pidfd < 0 || !Proc_pidfd_exited(s->pidfd, 0);
}

/* Whether a failure to set up came from the process ending meanwhile. A
 * SIGKILLed process loses its memory map (its maps file reads ENOENT)
 * before it becomes a zombie, so a failure that may be that is given a
 * moment to show up as an exit. Refusals (permission, another tracer, a
 * reused PID) are the process's answer, and spytop's own wants (descriptors,
 * memory) its own: neither is waited on. */
static bool
ending_meanwhile(const Session *s, int err)
{
    if (!same_process(s))
        return true;
    bool refusal = err == -EPERM || err == -EACCES || err == -EBUSY || err == -ESTALE;
    bool own_want = err == -EMFILE || err == -ENFILE || err == -ENOMEM || err == -EAGAIN;
    return !refusal && !own_want && s->pidfd >= 0 && Proc_pidfd_exited(s->pidfd, 200);
}

/* Python frames, when the target runs CPython and they are wanted: the
 * reader, its version line, and the merge (kept across an exec). */
static void
open_python(Session *s)
{
    if (s->options.no_python)
        return;
    char *problem = NULL;
    s->python = PyFrames_open(s->mem_pid, s->symbolizer, s->images, &problem);
    if (!s->python) {
        /* The same problem again (still no thread state) is no news. */
        bool same = problem && s->python_problem && strcmp(problem, s->python_problem) == 0;
        if (!same && (problem || s->python_problem))
            s->python_changes++;
        free(s->python_problem);
        s->python_problem = problem;
        return;
    }
    free(s->python_problem);
    s->python_problem = NULL;
    s->python_version = xasprintf("CPython %s", PyFrames_version(s->python));
    s->locals_problem = s->options.python_locals ? PyFrames_want_locals(s->python) : NULL;
    s->tasks_problem =
        s->options.python_tasks ? PyFrames_want_tasks(s->python, s->symbolizer) : NULL;
    if (s->options.python_async)
        PyFrames_want_async(s->python, s->symbolizer);
    s->python_changes++;
    if (!s->merge)
        s->merge = PyMerge_new(s->symbolizer, s->symtab);
}

/* Fault injection for tests: SessionOptions.attach_delay_ms widens the
 * window between looking the process up and attaching to it, where its PID
 * could be reused (tests/func/safety_pid_reuse.sh). */
static void
fault_delay_before_attach(pid_t pid, unsigned ms)
{
    if (!ms)
        return;
    /* The test waits for this line, not for a time: under load spytop may
     * take long to come this far. */
    fprintf(stderr, "spytop: fault injection: waiting %u ms before attaching to PID %d\n", ms,
            (int)pid);
    struct timespec t = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

static int
attach(Session *s, int *err, char **cause)
{
    fault_delay_before_attach(s->pid, s->options.attach_delay_ms);
    /* A zombie leader cannot be seized; its live threads can. */
    int r = s->leader_gone ? Tracer_sync_threads(s->tracer) : Tracer_seize(s->tracer, s->pid);
    if (r > 0)
        r = 0;
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
    /* The process may have exited and its PID been reused since it was
     * looked up; what is attached now would be a stranger. */
    if (!same_process(s)) {
        *err = -ESRCH;
        *cause = xasprintf("PID %d exited while spytop was attaching%s; nothing was sampled",
                           (int)s->pid,
                           Proc_read_stat(s->pid, 0, &(ProcStat){0}) == 0
                               ? " and its PID now names another process, left alone"
                               : "");
        return -1;
    }
    r = Tracer_sync_threads(s->tracer);
    if (r < 0) {
        *err = r;
        *cause = xasprintf("cannot attach to the threads of PID %d: %s", (int)s->pid, strerror(-r));
        return -1;
    }
    return 0;
}

Session *
Session_open(pid_t pid, Symtab *symtab, const SessionOptions *options, int *err, char **cause)
{
    Session *s = xcalloc(1, sizeof(*s));
    s->pid = pid;
    s->mem_pid = pid;
    s->options = *options;
    if (!s->options.stack_max)
        s->options.stack_max = SAMPLER_STACK_DEFAULT_MAX;
    if (!s->options.deadline_ns)
        s->options.deadline_ns = DEFAULT_DEADLINE_NS;
    if (!s->options.max_depth || s->options.max_depth > UNWIND_MAX_DEPTH)
        s->options.max_depth = UNWIND_MAX_DEPTH;
    s->pidfd = -1;
    *err = 0;
    *cause = NULL;
    if (identify(s, err, cause) < 0)
        goto fail;
    /* --threads: each named thread must be one of the process's. */
    for (size_t i = 0; i < s->options.only_tid_count; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)s->options.only_tids[i]);
        if (access(path, F_OK) < 0) {
            *err = -ESRCH;
            *cause = xasprintf("PID %d has no thread %d ('spytop dump -p %d' lists its threads)",
                               (int)pid, (int)s->options.only_tids[i], (int)pid);
            goto fail;
        }
    }

    /* Everything that reads files is done before any thread is stopped. */
    s->symtab = symtab;
    s->images = Images_new(s->mem_pid);
    int r = Images_refresh(s->images);
    if (r < 0) {
        *err = r == -ENOENT ? -ESRCH : r;
        *cause = r == -ENOENT   ? xasprintf("no process with PID %d", (int)pid)
                 : r == -EACCES ? permission_hint(pid)
                                : xasprintf("reading /proc/%d/maps: %s", (int)pid, strerror(-r));
        goto fail;
    }
    s->unwinder = Unwinder_new(s->images, s->options.unwind_memo, cause);
    if (!s->unwinder) {
        *err = -ENOMEM;
        goto fail;
    }
    s->symbolizer = Symbolizer_new(s->mem_pid, s->symtab, cause);
    if (!s->symbolizer) {
        *err = -EIO;
        goto fail;
    }
    Backoff_init(&s->python_retry, PYTHON_RETRY_MIN_NS, PYTHON_RETRY_MAX_NS);
    Backoff_tried(&s->python_retry, Util_now_ns(), true);
    open_python(s);
    s->maps_generation = Images_generation(s->images);
    s->tracer = Tracer_new(pid);
    /* A dump stops every thread once and detaches: nothing to park. */
    Tracer_seize_on_demand(s->tracer, !s->options.detach_after_tick);
    if (attach(s, err, cause) < 0)
        goto fail;
    SamplerOptions so = {
        .fd_budget = s->options.fd_budget,
        .stack_max = s->options.stack_max,
        .deadline_ns = s->options.deadline_ns,
        .detach = s->options.detach_after_tick,
        .only_tids = s->options.only_tids,
        .only_tid_count = s->options.only_tid_count,
        .reuse = s->options.sleeper_reuse,
        .oncpu_schedstat = s->options.oncpu_schedstat,
    };
    s->sampler = Sampler_new(s->tracer, s->mem_pid, &so);
    if (s->python)
        Sampler_set_python(s->sampler, s->python);
    s->pcs = xcalloc(s->options.max_depth, sizeof(*s->pcs));
    return s;
fail:
    if (s->start_ticks && *err != -ESRCH && ending_meanwhile(s, *err)) {
        /* Whatever failed, the reason is that the process ended meanwhile
         * (its maps, its memory went with it): say that. */
        free(*cause);
        *cause = xasprintf("no process with PID %d (it exited while spytop attached)", (int)pid);
        *err = -ESRCH;
    }
    Session_delete(s);
    return NULL;
}

size_t
Session_detach(Session *s, uint64_t timeout_ns)
{
    if (!s->tracer)
        return 0;
    size_t left = Tracer_detach_all(s->tracer, timeout_ns);
    /* Its last polls may have taken the leader's exit: kept. */
    s->exited = Tracer_target_exited(s->tracer, &s->exit_status);
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
    if (s->options.sleeper_reuse == SLEEPER_REUSE_CHECK)
        fprintf(stderr, "spytop: sleeper reuse: %llu checks, %llu mismatches\n",
                (unsigned long long)s->reuse_checks, (unsigned long long)s->reuse_mismatches);
    if (s->pidfd >= 0)
        close(s->pidfd);
    PyFrames_delete(s->python);
    free(s->python_version);
    free(s->python_problem);
    PyMerge_delete(s->merge);
    Symbolizer_delete(s->symbolizer);
    Unwinder_delete(s->unwinder);
    Images_delete(s->images);
    free(s->pcs);
    FrameBuf_done(&s->stack);
    free(s);
}

/* Whether the thread was waiting in a system call when stopped, whatever
 * /proc said: the stop interrupted the call, or caught the thread about to
 * issue it again after the previous stop. */
static bool
thread_was_blocked(Session *s, const Snapshot *snap)
{
    if (snap->status != SAMPLE_OK && snap->status != SAMPLE_NO_STACK)
        return false;
    if (Arch_in_interrupted_syscall(&snap->regs))
        return true;
    uint8_t code[ARCH_SYSCALL_INSN_LEN];
    return Images_read(s->images, Arch_pc(&snap->regs), code, sizeof(code)) == 0 &&
           Arch_syscall_restart_pending(&snap->regs, code, sizeof(code));
}

/* The native frames of s->pcs[0, count) as symtab frames in s->stack. */
static void
native_frames(Session *s, size_t count)
{
    for (size_t i = 0; i < count; i++)
        FrameBuf_push_native(&s->stack, s->symbolizer, &s->pcs[i]);
}

/* A sleeper's sample kept for reuse (its trace copied). */
static void
memo_store(SnapshotMemo *memo, const Sample *sample, const SampleTrace *trace, unsigned generation)
{
    if (memo->cap < trace->count) {
        memo->cap = trace->count;
        memo->trace = xreallocarray(memo->trace, memo->cap, sizeof(*memo->trace));
    }
    if (trace->count)
        memcpy(memo->trace, trace->frames, trace->count * sizeof(*memo->trace));
    memo->count = trace->count;
    memo->sample = *sample;
    memo->generation = generation;
    memo->valid = true;
}

/* SPYTOP_SLEEPER_REUSE=check: what reuse would have handed out must be what
 * the stop just taken gives. */
static void
check_reuse(Session *s, const SnapshotMemo *memo, const Sample *fresh)
{
    s->reuse_checks++;
    if (memo->sample.stack == fresh->stack && memo->sample.end == fresh->end &&
        memo->sample.python == fresh->python && memo->sample.blocked == fresh->blocked &&
        memo->sample.state == fresh->state && memo->sample.holds_gil == fresh->holds_gil)
        return;
    s->reuse_mismatches++;
    size_t reused_len, fresh_len;
    Symtab_stack(s->symtab, memo->sample.stack, &reused_len);
    Symtab_stack(s->symtab, fresh->stack, &fresh_len);
    fprintf(stderr,
            "spytop: sleeper reuse: tid %d: the reused stack (%zu frames) differs from a fresh "
            "one (%zu frames)\n",
            (int)fresh->tid, reused_len, fresh_len);
}

/* After the threads run again: unwind, symbolize, intern, hand out. */
static void
process_snapshot(Session *s, const Snapshot *snap, SessionSampleFn fn, void *arg)
{
    if (snap->reused && snap->memo && snap->memo->valid &&
        snap->memo->generation == s->maps_generation) {
        /* Asleep since the stop the memo was made from: the same sample. */
        Sample sample = snap->memo->sample;
        sample.t_ns = snap->t_ns;
        sample.stopped_ns = 0;
        sample.reused = true;
        SampleTrace trace = {snap->memo->trace, snap->memo->count};
        fn(arg, &sample, &trace);
        return;
    }
    Sample sample = {
        .t_ns = snap->t_ns,
        .pid = s->pid,
        .tid = snap->tid,
        .state = snap->state ? snap->state : '?',
        .group_stopped = snap->group_stopped,
        .status = snap->status,
        .stopped_ns = snap->stopped_ns,
        .blocked = thread_was_blocked(s, snap),
        .end = UNWIND_COMPLETE,
        .reused = snap->reused,
    };
    /* The state as the registers tell it: waiting in a system call, or
     * running (or runnable); stopped when a group-stop held it. */
    if (snap->status == SAMPLE_OK || snap->status == SAMPLE_NO_STACK)
        sample.state = snap->group_stopped ? 'T' : sample.blocked ? 'S' : 'R';
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
    FrameBuf_clear(&s->stack);
    if (snap->python && snap->python->present && snap->python->count) {
        sample.python = true;
        sample.holds_gil = snap->python->holds_gil;
        PyMergeInput in = {
            .python = s->python,
            .raw = snap->python,
            .pcs = s->pcs,
            .native_count = result.count,
            .native_end = result.end,
            .blocked = sample.blocked,
            .native_all = s->options.native_all,
        };
        PyMerge_stack(s->merge, &in, &s->stack);
    } else {
        native_frames(s, result.count);
    }
    sample.stack = Symtab_intern_stack(s->symtab, s->stack.frames, s->stack.count);
    SampleTrace trace = {s->stack.trace, s->stack.count};
    if (snap->memo) {
        if (snap->reuse_check && snap->memo->valid)
            check_reuse(s, snap->memo, &sample);
        memo_store(snap->memo, &sample, &trace, s->maps_generation);
    }
    fn(arg, &sample, &trace);
}

/* The target exec'd: new mappings, before this tick's stacks are unwound. */
static void
reload_maps_after_exec(Session *s)
{
    Images_refresh(s->images);
    s->maps_generation = Images_generation(s->images);
    Symbolizer_maps_changed(s->symbolizer);
}

/* ... and perhaps no Python, or another one: once this tick's samples, which
 * may point into the old reader's buffers, are handed out. */
static void
reopen_python_after_exec(Session *s)
{
    if (s->options.no_python)
        return;
    Sampler_set_python(s->sampler, NULL);
    if (s->python)
        s->python_changes++;
    PyFrames_delete(s->python);
    s->python = NULL;
    free(s->python_version);
    s->python_version = NULL;
    open_python(s);
    if (s->python)
        Sampler_set_python(s->sampler, s->python);
    Backoff_tried(&s->python_retry, Util_now_ns(), true);
}

/* No interpreter found yet: look again, now and then, while the threads
 * run. Right after an exec the runtime has no thread state yet, and a
 * shared libpython may not even be mapped: the mappings are read again,
 * and a change of them makes the next look come soon. */
static void
look_for_python(Session *s)
{
    uint64_t now = Util_now_ns();
    if (s->options.no_python || s->python || !Backoff_due(&s->python_retry, now))
        return;
    /* A change of the files mapped, not of anonymous memory: under thread
     * churn the stacks of threads come and go all the time, and each
     * look reads the maps twice (some 2,000 lines each at 1,000 threads). */
    unsigned files = Images_file_generation(s->images);
    bool maps_changed = false;
    if (Images_refresh(s->images) == 0 && Images_generation(s->images) != s->maps_generation) {
        s->maps_generation = Images_generation(s->images);
        Symbolizer_maps_changed(s->symbolizer);
        maps_changed = Images_file_generation(s->images) != files;
    }
    open_python(s);
    if (s->python)
        Sampler_set_python(s->sampler, s->python);
    Backoff_tried(&s->python_retry, Util_now_ns(), maps_changed);
}

int
Session_tick(Session *s, SessionSampleFn fn, void *arg, SamplerTickStats *stats)
{
    int r = Sampler_tick(s->sampler, stats);
    if (r < 0)
        return r;
    bool exec_seen = Tracer_exec_count(s->tracer) != s->execs;
    if (exec_seen) {
        s->execs = Tracer_exec_count(s->tracer);
        reload_maps_after_exec(s);
    }
    for (size_t i = 0; i < Sampler_snapshot_count(s->sampler); i++)
        process_snapshot(s, Sampler_snapshot(s->sampler, i), fn, arg);
    if (exec_seen)
        reopen_python_after_exec(s);
    else
        look_for_python(s);
    return 0;
}

void
Session_leave_sleepers(Session *s, bool leave)
{
    if (s->sampler)
        Sampler_leave_sleepers(s->sampler, leave);
}

int
Session_wait_exec(Session *s, uint64_t timeout_ns)
{
    uint64_t deadline = Util_now_ns() + timeout_ns;
    for (;;) {
        /* Restarts every stop meanwhile: a signal for the child before its
         * exec, and the exec's own stop. */
        Tracer_drain(s->tracer);
        if (Tracer_exec_count(s->tracer) != s->execs)
            break;
        if (Tracer_target_exited(s->tracer, NULL))
            return -ESRCH;
        if (Util_now_ns() >= deadline)
            return -ETIMEDOUT;
        struct timespec ts = {0, 100 * 1000};
        nanosleep(&ts, NULL);
    }
    /* No snapshot is in flight: the new program's maps and Python reader
     * now, before the first tick. */
    s->execs = Tracer_exec_count(s->tracer);
    reload_maps_after_exec(s);
    reopen_python_after_exec(s);
    return 0;
}

void
Session_service(Session *s)
{
    if (s->tracer)
        Tracer_drain(s->tracer);
}

const char *
Session_python_version(const Session *s)
{
    return s->python_version;
}

const char *
Session_python_problem(const Session *s)
{
    return s->python_problem;
}

unsigned
Session_python_changes(const Session *s)
{
    return s->python_changes;
}

bool
Session_thread_idle_since(Session *s, pid_t tid, uint64_t since_ns)
{
    return s->sampler && Sampler_thread_idle_since(s->sampler, tid, since_ns);
}

const char *
Session_python_thread_name(Session *s, pid_t tid)
{
    return s->python ? PyFrames_thread_name(s->python, tid) : NULL;
}

const PyFrameLocals *
Session_python_locals(const Session *s, pid_t tid, size_t *count, const char **problem)
{
    *count = 0;
    *problem = s->python ? s->locals_problem : NULL;
    return s->python ? PyFrames_locals(s->python, tid, count) : NULL;
}

const PyTaskList *
Session_python_tasks(const Session *s, pid_t tid, const char **problem)
{
    *problem = s->python ? s->tasks_problem : NULL;
    return s->python ? PyFrames_tasks(s->python, tid) : NULL;
}

void
Session_set_python_async(Session *s, bool on)
{
    if (s->options.python_async == on)
        return;
    s->options.python_async = on;
    s->python_changes++;
    if (!s->python)
        return; /* taken up when the interpreter is found */
    if (on)
        PyFrames_want_async(s->python, s->symbolizer);
    PyFrames_pause_async(s->python, !on);
}

const char *
Session_python_async_problem(const Session *s)
{
    if (!s->options.python_async)
        return NULL;
    const char *problem = s->python ? PyFrames_async_problem(s->python) : NULL;
    return problem && strcmp(problem, PY_TASKS_NOT_IMPORTED) != 0 ? problem : NULL;
}

FrameId
Session_python_frame(Session *s, const PyRawFrame *frame)
{
    return PyFrames_resolve(s->python, frame, s->symtab);
}

uint64_t
Session_python_mismatches(const Session *s)
{
    return s->merge ? PyMerge_misaligned(s->merge) : 0;
}

size_t
Session_not_sampled(const Session *s, const TraceRefusal **refused)
{
    static const TraceRefusal none;
    *refused = &none;
    return s->tracer ? Tracer_refused(s->tracer, refused) : 0;
}

char *
Session_refusal_reason(const TraceRefusal *r)
{
    char holder[64] = "?";
    if (r->err == -EBUSY && r->tracer_pid > 0) {
        Proc_thread_name(r->tracer_pid, 0, holder, sizeof(holder));
        return xasprintf("traced by PID %d (%s)", (int)r->tracer_pid, holder);
    }
    if (r->err == -EBUSY)
        return xstrdup("traced by another process");
    return xstrdup(r->err == -EPERM ? "not allowed to attach" : strerror(-r->err));
}

/* "thread 1234 (worker): traced by PID 999 (strace)" */
static char *
describe_refusal(const Session *s, const TraceRefusal *r)
{
    char name[64] = "?";
    Proc_thread_name(s->pid, r->tid, name, sizeof(name));
    char *reason = Session_refusal_reason(r);
    char *text = xasprintf("thread %d (%s): %s", (int)r->tid, name, reason);
    free(reason);
    return text;
}

char *
Session_not_sampled_text(const Session *s)
{
    const TraceRefusal *refused;
    size_t n = s->tracer ? Tracer_refused(s->tracer, &refused) : 0;
    if (n == 0)
        return NULL;
    char *text = xasprintf("%zu thread%s not sampled: ", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < 3; i++) {
        char *one = describe_refusal(s, &refused[i]);
        char *longer = xasprintf("%s%s%s", text, i ? "; " : "", one);
        free(one);
        free(text);
        text = longer;
    }
    if (n > 3) {
        char *longer = xasprintf("%s; and %zu more", text, n - 3);
        free(text);
        text = longer;
    }
    return text;
}

pid_t
Session_pid(const Session *s)
{
    return s->pid;
}

Tracer *
Session_tracer(Session *s)
{
    return s->tracer;
}

bool
Session_process_ended(const Session *s)
{
    if (Session_target_exited(s, NULL))
        return true;
    if (s->pidfd >= 0)
        return Proc_pidfd_exited(s->pidfd, 0);
    if (Proc_alive(s->pid))
        return false;
    int r = Proc_read_stat(s->pid, 0, &(ProcStat){0});
    return r != -EMFILE && r != -ENFILE && r != -ENOMEM;
}

bool
Session_target_exited(const Session *s, int *wait_status)
{
    if (!s->tracer) {
        if (s->exited && wait_status)
            *wait_status = s->exit_status;
        return s->exited;
    }
    return Tracer_target_exited(s->tracer, wait_status);
}
