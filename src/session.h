/* One profiling session on one target: the shared core every command uses.
 * It seizes the target, and each tick stops every thread just long enough
 * to copy registers and stack, resumes it, then unwinds and symbolizes the
 * copies and hands out one Sample per thread. The live view, the recorder
 * and dump all consume the same Samples. */
#ifndef SPYTOP_SRC_SESSION_H
#define SPYTOP_SRC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pylocals.h"
#include "pytasks.h"
#include "sample.h"
#include "sampler.h"
#include "symbolizer.h"
#include "symtab.h"
#include "unwinder.h"

typedef void (*SessionSampleFn)(void *arg, const Sample *sample, const SampleTrace *trace);

typedef struct SessionOptions {
    size_t stack_max;       /* 0: SAMPLER_STACK_DEFAULT_MAX */
    uint64_t deadline_ns;   /* 0: 10 ms */
    size_t max_depth;       /* 0: UNWIND_MAX_DEPTH */
    bool detach_after_tick; /* one-shot: detach each thread after its copy */
    const pid_t *only_tids; /* sample only these threads (NULL: all) */
    size_t only_tid_count;
    bool no_python;     /* do not read Python frames even in CPython */
    bool native_all;    /* keep every native frame, interpreter internals too */
    bool python_locals; /* dump --locals: read Python frames' locals while stopped */
    bool python_tasks;  /* dump --tasks: read asyncio tasks while stopped */
    bool python_async;  /* --async: a running task's time under the tasks awaiting it */
    UnwindMemo unwind_memo;
    SleeperReuse sleeper_reuse; /* see Sampler_tick */
    bool oncpu_schedstat;       /* see SamplerOptions */
    /* Fault injection for tests: wait this long between looking the process
     * up and attaching, where its PID could be reused (0: none). */
    unsigned attach_delay_ms;
    /* The process's start time (ProcStat.start_ticks) when the caller found
     * it (a child listed a moment ago): another one at the PID is refused
     * as a reused PID (-ESTALE). 0: whatever process the PID names now. */
    uint64_t expect_start_ticks;
    FdBudget *fd_budget; /* shared by the sessions of a run (NULL: its own) */
} SessionOptions;

typedef struct Session Session;

/* Seizes every thread of pid. Stacks are interned into symtab, which is
 * borrowed and may outlive the session (a view keeps its ids across a
 * detach and re-attach). On failure returns NULL, sets *err to a
 * negative errno (-ESRCH no such process, -EPERM not allowed, -EBUSY
 * traced by another tracer, -ESTALE the pid was reused) and *cause to a
 * one-line message that names the fix. */
Session *Session_open(pid_t pid, Symtab *symtab, const SessionOptions *options, int *err,
                      char **cause);

/* Detaches every thread, waiting up to timeout_ns for threads that are slow
 * to stop. Returns the number of threads left for the kernel to detach when
 * spytop exits. The symbols stay readable until Session_delete. */
size_t Session_detach(Session *session, uint64_t timeout_ns);

/* Detaches (without waiting) what is still attached and frees everything. */
void Session_delete(Session *session);

/* One sample of every thread; fn is called once per thread. 0 or -errno
 * (-ESRCH: the target is gone). */
int Session_tick(Session *session, SessionSampleFn fn, void *arg, SamplerTickStats *stats);

/* Whether ticks leave threads that are not running alone (when idle
 * samples are not shown): see Sampler_leave_sleepers. Off at first. */
void Session_leave_sleepers(Session *session, bool leave);

/* For a command the session seized before its exec (Launch_start): services
 * the tracer until the command's exec is seen, then loads the new program's
 * maps (and Python reader) so the first tick sees it. 0; -ESRCH when the
 * command exited first (its exec failed, or a signal killed it);
 * -ETIMEDOUT after timeout_ns (the first ticks then catch the exec). */
int Session_wait_exec(Session *session, uint64_t timeout_ns);

/* Handles pending stops and signals between ticks. */
void Session_service(Session *session);

/* Threads of the process that could not be attached (another tracer holds
 * them, or no permission), tried again every 100 ms: how many and which
 * (borrowed until the next tick); why, for one (the caller frees it:
 * "traced by PID 999 (strace)"); and one line naming them all with their
 * reasons (NULL when none; the caller frees it). */
size_t Session_not_sampled(const Session *session, const TraceRefusal **refused);
char *Session_refusal_reason(const TraceRefusal *refusal);
char *Session_not_sampled_text(const Session *session);

pid_t Session_pid(const Session *session);

/* "CPython 3.11.7" when Python frames are read; NULL otherwise. */
const char *Session_python_version(const Session *session);
/* Why a CPython target's frames are not read (unsupported version...), or
 * NULL. Borrowed. */
const char *Session_python_problem(const Session *session);
/* Counts the changes of the two above: Python found after the start (the
 * session keeps looking while it is not), lost or changed by an exec. */
unsigned Session_python_changes(const Session *session);
/* With the target running: thread tid's Python thread name
 * (threading.Thread(name=...)), or NULL (borrowed until the next call). */
const char *Session_python_thread_name(Session *session, pid_t tid);
/* Whether thread tid provably has not run since since_ns (see
 * Sampler_thread_idle_since); false when unknown. */
bool Session_thread_idle_since(Session *session, pid_t tid, uint64_t since_ns);
/* With python_locals: the locals of thread tid's Python frames as its
 * last tick read them, innermost first, *count of them (borrowed until the
 * next tick); *problem says why none are read (borrowed), else NULL. */
const PyFrameLocals *Session_python_locals(const Session *session, pid_t tid, size_t *count,
                                           const char **problem);
/* With python_tasks: thread tid's asyncio tasks as its last tick read
 * them (tid 0: the interpreter's list, tasks of threads that exited), or
 * NULL (borrowed until the next tick); *problem says why no task is read
 * (borrowed), else NULL. */
const PyTaskList *Session_python_tasks(const Session *session, pid_t tid, const char **problem);
/* With python_async: why a running task's time cannot be put under the
 * tasks awaiting it (borrowed; "asyncio tasks need CPython 3.14 or
 * newer..."), or NULL: it is, or will be once asyncio is imported. */
const char *Session_python_async_problem(const Session *session);
/* Turns python_async on or off from now on (the live view's key); a
 * change of the problem above counts as a Python change. */
void Session_set_python_async(Session *session, bool on);
/* With the target running: a raw Python frame (a task's coroutine) as a
 * symtab frame. */
FrameId Session_python_frame(Session *session, const PyRawFrame *frame);
/* Samples whose Python and native frames did not line up (kept anyway). */
uint64_t Session_python_mismatches(const Session *session);
Tracer *Session_tracer(Session *session);
/* The target's main thread exit, once seen (see Tracer_target_exited); kept
 * by Session_detach, whose last polls may be the ones that saw it. */
bool Session_target_exited(const Session *session, int *wait_status);
/* Whether the process has ended (every thread exited), asked each tick: its
 * pidfd's poll, which costs the same whatever its thread count (a read of
 * /proc/PID/stat walks every thread), or /proc where there is no pidfd.
 * Out of descriptors or memory /proc cannot be read: that is no end. */
bool Session_process_ended(const Session *session);

#endif
