#include "config.h"

#include "processset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "util.h"

/* Letting go of a process that left the set: its threads are gone, or
 * (its session failed) they are stopped and detached within this. */
#define DROP_DETACH_NS (200u * 1000 * 1000)
/* A process skipped for a passing reason (no descriptors, no memory) is
 * tried again after this. */
#define SKIP_RETRY_NS (5000ull * 1000 * 1000)

/* A process, followed or not: the PID and its start time name it. */
typedef struct Member {
    pid_t pid;
    uint64_t start_ticks;
    Session *session; /* NULL: skipped (reason says why) or detached */
    char *reason;
    uint64_t retry_ns; /* skipped for a passing reason: tried again then (0: not) */
} Member;

struct ProcessSet {
    ProcessSetOptions options;
    Symtab *symtab;
    Member *members; /* followed, in the order they came */
    size_t count, cap;
    Member *skipped;
    size_t skipped_count, skipped_cap;
    size_t over_max;  /* descendants not followed: the set was full */
    Member *detached; /* what ProcessSet_detach let go, for attach_again */
    size_t detached_count;
    FdBudget fd_budget; /* the task files all samplers keep open */
    pid_t primary;
    bool primary_gone, primary_status_known;
    int primary_status;
    uint64_t discovered_ns;
};

ProcessSet *
ProcessSet_new(Symtab *symtab, const ProcessSetOptions *options)
{
    ProcessSet *set = xcalloc(1, sizeof(*set));
    set->options = *options;
    set->symtab = symtab;
    set->fd_budget = FdBudget_default();
    return set;
}

static void
tell(ProcessSet *set, pid_t pid, Session *session, ProcessEvent event)
{
    if (set->options.on_event)
        set->options.on_event(set->options.event_arg, pid, session, event);
}

static void
free_members(Member *members, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (members[i].session)
            Session_delete(members[i].session);
        free(members[i].reason);
    }
    free(members);
}

void
ProcessSet_delete(ProcessSet *set)
{
    if (!set)
        return;
    free_members(set->members, set->count);
    free_members(set->skipped, set->skipped_count);
    free_members(set->detached, set->detached_count);
    free(set);
}

static uint64_t
start_ticks(pid_t pid)
{
    ProcStat st;
    return Proc_read_stat(pid, 0, &st) == 0 ? st.start_ticks : 0;
}

static const Member *
find(const Member *members, size_t count, pid_t pid)
{
    for (size_t i = 0; i < count; i++)
        if (members[i].pid == pid)
            return &members[i];
    return NULL;
}

/* Seizes pid into the set. 0 or -errno (and *cause). */
static int
follow(ProcessSet *set, pid_t pid, uint64_t started, ProcessEvent event, int *err, char **cause)
{
    SessionOptions so = *set->options.session;
    so.expect_start_ticks = started; /* the process found, not a newcomer at its PID */
    so.fd_budget = &set->fd_budget;
    Session *session = Session_open(pid, set->symtab, &so, err, cause);
    if (!session)
        return *err;
    set->members = xgrow(set->members, &set->cap, set->count + 1, sizeof(*set->members));
    set->members[set->count++] = (Member){.pid = pid, .start_ticks = started, .session = session};
    if (!set->primary)
        set->primary = pid;
    tell(set, pid, session, event);
    return 0;
}

int
ProcessSet_add(ProcessSet *set, pid_t pid, int *err, char **cause)
{
    *cause = NULL;
    if (find(set->members, set->count, pid))
        return 0;
    if (set->count >= PROCESS_SET_MAX) {
        *err = -E2BIG;
        *cause = xasprintf("spytop follows at most %d processes; PID %d is one too many",
                           PROCESS_SET_MAX, (int)pid);
        return *err;
    }
    return follow(set, pid, start_ticks(pid), PROCESS_FOLLOWED, err, cause);
}

/* A descendant that could not be seized: named once, not tried again
 * while that process lives. */
static void
skip(ProcessSet *set, pid_t pid, uint64_t started, char *cause, int err)
{
    /* Out of descriptors or memory: that may pass. */
    bool passing = err == -EMFILE || err == -ENFILE || err == -ENOMEM || err == -EAGAIN;
    set->skipped =
        xgrow(set->skipped, &set->skipped_cap, set->skipped_count + 1, sizeof(*set->skipped));
    set->skipped[set->skipped_count++] = (Member){
        .pid = pid,
        .start_ticks = started,
        .reason = cause ? cause : xstrdup(strerror(-err)),
        .retry_ns = passing ? Util_now_ns() + SKIP_RETRY_NS : 0,
    };
}

/* Seizes a process found (a descendant, or one skipped before); one that
 * cannot be seized is skipped, unless it exited meanwhile. */
static void
follow_or_skip(ProcessSet *set, pid_t pid, uint64_t started)
{
    int err;
    char *cause = NULL;
    if (follow(set, pid, started, PROCESS_FOLLOWED, &err, &cause) == 0)
        return;
    if (err == -ESRCH || err == -ESTALE)
        free(cause); /* exited meanwhile: nothing to say */
    else
        skip(set, pid, started, cause, err);
}

/* Forgets skipped processes that exited (their PIDs may come back); tries
 * again those skipped for a passing reason a while ago. */
static void
prune_skipped(ProcessSet *set, uint64_t now_ns)
{
    size_t k = 0, due = 0;
    Member *retry = xcalloc(set->skipped_count ? set->skipped_count : 1, sizeof(*retry));
    for (size_t i = 0; i < set->skipped_count; i++) {
        Member *m = &set->skipped[i];
        uint64_t started = start_ticks(m->pid);
        if (started && started != m->start_ticks) {
            free(m->reason); /* exited: its PID names another process now */
            continue;
        }
        if (m->retry_ns && now_ns >= m->retry_ns && set->count < PROCESS_SET_MAX) {
            free(m->reason);
            retry[due++] = *m;
            continue;
        }
        set->skipped[k++] = *m;
    }
    set->skipped_count = k;
    for (size_t i = 0; i < due; i++)
        follow_or_skip(set, retry[i].pid, retry[i].start_ticks);
    free(retry);
}

static void
discover_children_of(ProcessSet *set, pid_t parent)
{
    pid_t *children;
    size_t n;
    if (Proc_list_children(parent, &children, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        pid_t pid = children[i];
        if (find(set->members, set->count, pid))
            continue;
        uint64_t started = start_ticks(pid);
        const Member *s = find(set->skipped, set->skipped_count, pid);
        if (s && s->start_ticks == started)
            continue;
        if (set->count >= PROCESS_SET_MAX) {
            set->over_max++;
            continue;
        }
        follow_or_skip(set, pid, started);
    }
    free(children);
}

void
ProcessSet_discover(ProcessSet *set, uint64_t now_ns)
{
    if (now_ns - set->discovered_ns < PROCESS_SET_DISCOVER_NS)
        return;
    set->discovered_ns = now_ns;
    prune_skipped(set, now_ns);
    if (!set->options.follow_children)
        return;
    set->over_max = 0;
    /* Members added here are visited too: children of children. */
    for (size_t i = 0; i < set->count; i++)
        discover_children_of(set, set->members[i].pid);
}

/* Member i is gone (or its session failed): its session goes, let go of
 * what is left of it first, and the primary's exit is kept. */
static void
drop(ProcessSet *set, size_t i, ProcessEvent event)
{
    Member m = set->members[i];
    /* First: its polls may take the leader's exit (then booked by the
     * tracer, the only one to see it when spytop launched the process). */
    Session_detach(m.session, DROP_DETACH_NS);
    if (m.pid == set->primary) {
        set->primary_gone = true;
        set->primary_status_known = Session_target_exited(m.session, &set->primary_status);
    }
    tell(set, m.pid, m.session, event);
    Session_delete(m.session);
    free(m.reason);
    memmove(&set->members[i], &set->members[i + 1], (set->count - i - 1) * sizeof(*set->members));
    set->count--;
}

size_t
ProcessSet_tick(ProcessSet *set, bool leave_sleepers, SessionSampleFn fn, void *arg,
                SamplerTickStats *stats)
{
    memset(stats, 0, sizeof(*stats));
    for (size_t i = 0; i < set->count;) {
        Member *m = &set->members[i];
        SamplerTickStats one;
        Session_leave_sleepers(m->session, leave_sleepers);
        int r = Session_tick(m->session, fn, arg, &one);
        stats->threads += one.threads;
        stats->asleep += one.asleep;
        stats->sampled += one.sampled;
        stats->reused += one.reused;
        stats->late += one.late;
        stats->gone += one.gone;
        stats->failed += one.failed;
        stats->tick_ns += one.tick_ns;
        if (one.max_stopped_ns > stats->max_stopped_ns)
            stats->max_stopped_ns = one.max_stopped_ns;
        bool exited = Session_process_ended(m->session);
        if (r < 0 || exited) {
            /* A session that failed on a process that runs on: let go,
             * named, and (a passing reason) tried again later. */
            pid_t pid = m->pid;
            uint64_t started = m->start_ticks;
            drop(set, i, exited ? PROCESS_EXITED : PROCESS_LET_GO);
            if (!exited)
                skip(set, pid, started, xasprintf("sampling failed: %s", strerror(-r)), r);
            continue;
        }
        i++;
    }
    return set->count;
}

size_t
ProcessSet_service(ProcessSet *set)
{
    for (size_t i = 0; i < set->count;) {
        Session_service(set->members[i].session);
        if (Session_target_exited(set->members[i].session, NULL)) {
            drop(set, i, PROCESS_EXITED);
            continue;
        }
        i++;
    }
    return set->count;
}

size_t
ProcessSet_detach(ProcessSet *set, uint64_t timeout_ns)
{
    /* One deadline for all: each process gets what the others left. */
    uint64_t deadline = Util_now_ns() + timeout_ns;
    size_t left = 0;
    free_members(set->detached, set->detached_count);
    set->detached = xcalloc(set->count ? set->count : 1, sizeof(*set->detached));
    set->detached_count = 0;
    for (size_t i = 0; i < set->count; i++) {
        Member *m = &set->members[i];
        uint64_t now = Util_now_ns();
        left += Session_detach(m->session, now < deadline ? deadline - now : 0);
        tell(set, m->pid, m->session, PROCESS_LET_GO);
        Session_delete(m->session);
        set->detached[set->detached_count++] =
            (Member){.pid = m->pid, .start_ticks = m->start_ticks};
        free(m->reason);
    }
    set->count = 0;
    return left;
}

size_t
ProcessSet_attach_again(ProcessSet *set)
{
    for (size_t i = 0; i < set->detached_count; i++) {
        Member *m = &set->detached[i];
        if (start_ticks(m->pid) != m->start_ticks)
            continue; /* exited, and maybe its PID reused */
        int err;
        char *cause = NULL;
        follow(set, m->pid, m->start_ticks, PROCESS_FOLLOWED_AGAIN, &err, &cause);
        free(cause);
    }
    free(set->detached);
    set->detached = NULL;
    set->detached_count = 0;
    set->discovered_ns = 0;
    return set->count;
}

size_t
ProcessSet_count(const ProcessSet *set)
{
    return set->count;
}

pid_t
ProcessSet_pid(const ProcessSet *set, size_t i)
{
    return set->members[i].pid;
}

Session *
ProcessSet_session(const ProcessSet *set, size_t i)
{
    return set->members[i].session;
}

Session *
ProcessSet_primary(const ProcessSet *set)
{
    const Member *m = find(set->members, set->count, set->primary);
    return m ? m->session : NULL;
}

bool
ProcessSet_primary_exited(const ProcessSet *set, int *wait_status, bool *status_known)
{
    if (wait_status)
        *wait_status = set->primary_status;
    if (status_known)
        *status_known = set->primary_status_known;
    return set->primary_gone;
}

size_t
ProcessSet_skipped(const ProcessSet *set)
{
    return set->skipped_count + set->over_max;
}

char *
ProcessSet_skipped_text(const ProcessSet *set)
{
    if (!ProcessSet_skipped(set))
        return NULL;
    char *text = xstrdup("");
    for (size_t i = 0; i < set->skipped_count; i++) {
        char *next = xasprintf("%s%sPID %d not followed: %s", text, i ? "; " : "",
                               (int)set->skipped[i].pid, set->skipped[i].reason);
        free(text);
        text = next;
    }
    if (set->over_max) {
        char *next = xasprintf("%s%s%zu processes not followed: spytop follows at most %d", text,
                               set->skipped_count ? "; " : "", set->over_max, PROCESS_SET_MAX);
        free(text);
        text = next;
    }
    return text;
}
