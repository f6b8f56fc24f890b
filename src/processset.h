/* The processes one run samples: the target, the other PIDs given with -p,
 * and with --subprocesses every descendant of them, followed as they fork
 * and exit. One Session per process; a tick samples each in turn. A
 * process that cannot be attached (no permission, another tracer) is named
 * and skipped, never fatal; one that exits leaves the set (its samples
 * stay in the figures). The set is bounded (PROCESS_SET_MAX). */
#ifndef SPYTOP_SRC_PROCESSSET_H
#define SPYTOP_SRC_PROCESSSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "session.h"

#define PROCESS_SET_MAX 256
/* How often --subprocesses looks for new descendants. */
#define PROCESS_SET_DISCOVER_NS (250u * 1000 * 1000)

typedef struct ProcessSet ProcessSet;

/* What the owner is told of a process; its session is valid during the
 * call. */
typedef enum ProcessEvent {
    PROCESS_FOLLOWED,       /* added, or found (--subprocesses) */
    PROCESS_FOLLOWED_AGAIN, /* seized again after ProcessSet_detach */
    PROCESS_EXITED,         /* gone, or could not be sampled any more */
    PROCESS_LET_GO,         /* detached (Ctrl-Z, the end), still running */
} ProcessEvent;
typedef void (*ProcessSetEventFn)(void *arg, pid_t pid, Session *session, ProcessEvent event);

typedef struct ProcessSetOptions {
    const SessionOptions *session; /* borrowed, for every process */
    bool follow_children;          /* --subprocesses */
    ProcessSetEventFn on_event;    /* may be NULL */
    void *event_arg;
} ProcessSetOptions;

/* symtab and options->session are borrowed and outlive the set. */
ProcessSet *ProcessSet_new(Symtab *symtab, const ProcessSetOptions *options);
/* Detaches (without waiting) what is still attached and frees everything. */
void ProcessSet_delete(ProcessSet *set);

/* Seizes pid, given by the user (the first one added is the set's primary
 * process: a launched command, or the first -p). 0, or a negative errno
 * with *cause as Session_open sets them; nothing is added then. */
int ProcessSet_add(ProcessSet *set, pid_t pid, int *err, char **cause);

/* At most every PROCESS_SET_DISCOVER_NS: tries again the processes skipped
 * for a passing reason (no descriptors), and with follow_children seizes
 * the children of every followed process (theirs too, in the same call). */
void ProcessSet_discover(ProcessSet *set, uint64_t now_ns);

/* One sample of every thread of every process (Session_tick each, with
 * Session_leave_sleepers(leave_sleepers)); processes found gone leave the
 * set. stats sums the sessions'. Returns the number of processes left. */
size_t ProcessSet_tick(ProcessSet *set, bool leave_sleepers, SessionSampleFn fn, void *arg,
                       SamplerTickStats *stats);

/* Handles pending stops and signals of every process (SIGCHLD); processes
 * found gone leave the set. Returns the number left. */
size_t ProcessSet_service(ProcessSet *set);

/* Detaches every process, waiting up to timeout_ns for each; the set is
 * empty after and remembers what it held for ProcessSet_attach_again.
 * Returns how many threads were left for the kernel to detach. */
size_t ProcessSet_detach(ProcessSet *set, uint64_t timeout_ns);
/* After ProcessSet_detach: seizes again those of them still running (the
 * same processes: a reused PID is not taken). Returns how many. */
size_t ProcessSet_attach_again(ProcessSet *set);

size_t ProcessSet_count(const ProcessSet *set);
pid_t ProcessSet_pid(const ProcessSet *set, size_t i);
Session *ProcessSet_session(const ProcessSet *set, size_t i);
/* The primary process's session while it is followed, else NULL. */
Session *ProcessSet_primary(const ProcessSet *set);
/* Whether the primary process exited, and its wait status when known. */
bool ProcessSet_primary_exited(const ProcessSet *set, int *wait_status, bool *status_known);

/* Processes that could not be followed, and one line about them (NULL when
 * none; the caller frees it): "PID 12 (app): no permission; ...". The
 * count includes those past PROCESS_SET_MAX. */
size_t ProcessSet_skipped(const ProcessSet *set);
char *ProcessSet_skipped_text(const ProcessSet *set);

#endif
