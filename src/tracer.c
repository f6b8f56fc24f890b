#include "config.h"

#include "tracer.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

struct Tracer {
    pid_t pid;
    TraceThread *threads; /* sorted by tid */
    size_t count, cap;
    size_t parked;         /* threads in TRACE_PARKED */
    bool on_demand;        /* Tracer_seize_on_demand */
    TraceRefusal *refused; /* threads the last sync could not seize */
    size_t refused_count, refused_cap;
    /* Threads whose holder the next sync reads at once (see
     * TRACER_HOLDER_DELAY_NS): refused by the last sync, or refused a
     * seize since. Sorted by the sync. */
    pid_t *suspects;
    size_t suspect_count, suspect_cap;
    uint64_t holder_check_ns; /* the earliest holder_check_ns pending; 0: none */
    bool exited;
    int exit_status;
    unsigned execs;      /* execve calls seen */
    size_t handed_count; /* threads with handed set (at most) */
    /* Since the last Tracer_sync_threads: the kernel's thread count then,
     * when it ran, and whether a thread exited or exec'd since. */
    long synced_threads;
    uint64_t synced_ns;
    bool threads_changed;
};

/* Every Tracer of spytop. The kernel queues the reports of every tracee of
 * one tracer thread together: a waitid(P_ALL) of one Tracer also returns the
 * threads of another (several processes followed). Such a report is
 * handled for the Tracer that owns the thread, never dropped: a stop the
 * owner is waiting for, a signal to deliver, an exit. */
static Tracer **all_tracers;
static size_t all_tracer_count, all_tracer_cap;

/* A PTRACE_SEIZE can wait on an execve in the target: it takes the mutex
 * that an execve holds while it waits for the process's other threads to
 * be reaped, and a traced thread is reaped only by its tracer. A seize
 * during the exec of a process with another thread traced by spytop would
 * wait forever (spytop's signals are blocked for its event loop: not even
 * SIGTERM would end it). So a seize runs under a timer: past SEIZE_REAP_NS,
 * and again at each period, the timer's handler reaps the exits of threads
 * spytop traces (exits only: a stop report stays for the poll), the execve
 * goes on, and so does the seize (the kernel restarts it after the
 * handler). The exits reaped are booked by the next poll. */
#define SEIZE_REAP_NS (2u * 1000 * 1000)
#define SEIZE_REAP_SIGNAL (SIGRTMIN + 4)
#define REAPED_MAX 256
static timer_t seize_timer;
static bool seize_timer_ready;
static volatile sig_atomic_t seizing; /* the handler reaps only then */
static struct {
    pid_t tid;
    int status;
} reaped[REAPED_MAX];
static volatile sig_atomic_t reaped_count;

Tracer *
Tracer_new(pid_t pid)
{
    Tracer *tracer = xcalloc(1, sizeof(*tracer));
    tracer->pid = pid;
    all_tracers = xgrow(all_tracers, &all_tracer_cap, all_tracer_count + 1, sizeof(*all_tracers));
    all_tracers[all_tracer_count++] = tracer;
    return tracer;
}

void
Tracer_delete(Tracer *tracer)
{
    if (!tracer)
        return;
    for (size_t i = 0; i < all_tracer_count; i++) {
        if (all_tracers[i] == tracer) {
            all_tracers[i] = all_tracers[--all_tracer_count];
            break;
        }
    }
    if (!all_tracer_count) {
        free(all_tracers);
        all_tracers = NULL;
        all_tracer_cap = 0;
    }
    free(tracer->threads);
    free(tracer->refused);
    free(tracer->suspects);
    free(tracer);
}

size_t
Tracer_all_thread_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < all_tracer_count; i++)
        n += all_tracers[i]->count - all_tracers[i]->parked;
    return n;
}

void
Tracer_seize_on_demand(Tracer *tracer, bool on)
{
    tracer->on_demand = on;
}

/* A change of state that may enter or leave TRACE_PARKED: the count of
 * parked threads follows. */
static void
set_state(Tracer *tracer, TraceThread *thread, TraceState state)
{
    if (thread->state == TRACE_PARKED)
        tracer->parked--;
    if (state == TRACE_PARKED)
        tracer->parked++;
    thread->state = state;
}

size_t
Tracer_thread_count(const Tracer *tracer)
{
    return tracer->count;
}

TraceThread *
Tracer_thread(Tracer *tracer, size_t index)
{
    return index < tracer->count ? &tracer->threads[index] : NULL;
}

TraceThread *
Tracer_find(Tracer *tracer, pid_t tid)
{
    size_t lo = 0, hi = tracer->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tracer->threads[mid].tid == tid)
            return &tracer->threads[mid];
        if (tracer->threads[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The timer's handler (see SEIZE_REAP_NS): the exit of each thread traced
 * by any Tracer, taken off and kept in reaped[]. The Tracers' tables do
 * not change meanwhile: the only code running is the seize it interrupted. */
static void
reap_exits_during_seize(int sig)
{
    (void)sig;
    if (!seizing)
        return;
    int saved_errno = errno;
    for (size_t i = 0; i < all_tracer_count; i++) {
        const Tracer *tracer = all_tracers[i];
        for (size_t k = 0; k < tracer->count && reaped_count < REAPED_MAX; k++) {
            const TraceThread *thread = &tracer->threads[k];
            if (thread->state == TRACE_GONE || thread->state == TRACE_PARKED)
                continue;
            siginfo_t si;
            memset(&si, 0, sizeof(si));
            if (waitid(P_PID, (id_t)thread->tid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 ||
                si.si_pid != thread->tid ||
                !(si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED))
                continue;
            int status;
            if (waitpid(thread->tid, &status, __WALL | WNOHANG) == thread->tid) {
                reaped[reaped_count].tid = thread->tid;
                reaped[reaped_count].status = status;
                reaped_count++;
            }
        }
    }
    errno = saved_errno;
}

static void
arm_seize_timer(bool on)
{
    if (!seize_timer_ready) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = reap_exits_during_seize;
        sigemptyset(&sa.sa_mask);
        struct sigevent ev;
        memset(&ev, 0, sizeof(ev));
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = SEIZE_REAP_SIGNAL;
        if (sigaction(SEIZE_REAP_SIGNAL, &sa, NULL) < 0 ||
            timer_create(CLOCK_MONOTONIC, &ev, &seize_timer) < 0)
            return; /* no guard: a seize as before */
        seize_timer_ready = true;
    }
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (on) {
        its.it_value.tv_nsec = SEIZE_REAP_NS;
        its.it_interval.tv_nsec = SEIZE_REAP_NS;
    }
    timer_settime(seize_timer, 0, &its, NULL);
}

/* Within Tracer_seize_batch, the timer stays armed from the first seize
 * to the batch's end, instead of being armed and disarmed around each
 * (two system calls a seize: 3,400 a second under thread churn). */
static bool seize_batch, seize_timer_armed;

/* PTRACE_SEIZE under the timer (see SEIZE_REAP_NS). 0 or -1 with errno. */
static long
seize_guarded(pid_t tid)
{
    if (!seize_timer_armed) {
        arm_seize_timer(true);
        seize_timer_armed = true;
    }
    seizing = 1;
    long r = ptrace(PTRACE_SEIZE, tid, NULL, (void *)PTRACE_O_TRACEEXEC);
    int err = errno;
    seizing = 0;
    if (!seize_batch) {
        arm_seize_timer(false);
        seize_timer_armed = false;
    }
    errno = err;
    return r;
}

void
Tracer_seize_batch(bool on)
{
    seize_batch = on;
    if (!on && seize_timer_armed) {
        arm_seize_timer(false);
        seize_timer_armed = false;
    }
}

/* An exit taken off the queue: the leader's is the target's exit status. */
static void
book_exit(Tracer *tracer, pid_t tid, int status)
{
    if (tid == tracer->pid) {
        tracer->exited = true;
        tracer->exit_status = status;
    }
}

static void mark_gone(Tracer *tracer, pid_t tid);
static Tracer *owner_of(pid_t tid, TraceThread **thread);

/* Books the exits the timer's handler reaped. */
static void
book_reaped_exits(void)
{
    for (sig_atomic_t i = 0; i < reaped_count; i++) {
        TraceThread *thread;
        Tracer *tracer = owner_of(reaped[i].tid, &thread);
        if (tracer) {
            book_exit(tracer, reaped[i].tid, reaped[i].status);
            mark_gone(tracer, reaped[i].tid);
        }
    }
    reaped_count = 0;
}

static TraceThread *
insert_thread(Tracer *tracer, pid_t tid, TraceState state)
{
    if (tracer->count == tracer->cap) {
        tracer->cap = tracer->cap ? tracer->cap * 2 : 16;
        tracer->threads = xreallocarray(tracer->threads, tracer->cap, sizeof(*tracer->threads));
    }
    size_t i = tracer->count;
    while (i > 0 && tracer->threads[i - 1].tid > tid) {
        tracer->threads[i] = tracer->threads[i - 1];
        i--;
    }
    tracer->threads[i] = (TraceThread){.tid = tid, .state = TRACE_RUNNING};
    tracer->count++;
    set_state(tracer, &tracer->threads[i], state);
    return &tracer->threads[i];
}

/* Whether tid is a thread of process pid: a signal 0 to it (tgkill checks
 * both ids), which costs no path lookup, as /proc/PID/task/TID would. Only
 * ESRCH says no: a refusal (EPERM; EACCES from a security module) is the
 * answer of a thread that exists. */
static bool
thread_exists(pid_t pid, pid_t tid)
{
    return syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH;
}

/* Whether another tracer holds thread tid, from its TracerPid: -EBUSY
 * (that tracer in *holder), 0 when none does (or spytop), -ESRCH when the
 * thread is gone. */
static int
other_holder(const Tracer *tracer, pid_t tid, pid_t *holder)
{
    int tracer_pid = Proc_tracer_pid(tracer->pid, tid);
    if (tracer_pid < 0)
        return -ESRCH;
    if (tracer_pid == 0 || tracer_pid == getpid())
        return 0;
    *holder = tracer_pid;
    return -EBUSY;
}

/* Tracer_seize; for -EBUSY, *holder is the tracer that holds the thread. */
static int
seize(Tracer *tracer, pid_t tid, pid_t *holder)
{
    *holder = 0;
    if (Tracer_find(tracer, tid))
        return 0;
    /* EVENT_EXEC tells when a thread execs: the others vanish then without
     * a word, and the execing one takes the leader's tid. */
    if (seize_guarded(tid) == 0) {
        insert_thread(tracer, tid, TRACE_RUNNING);
        return 0;
    }
    int err = errno;
    if (err == ESRCH)
        return -ESRCH;
    if (err == EPERM) {
        /* An exiting thread also answers EPERM. */
        if (!thread_exists(tracer->pid, tid))
            return -ESRCH;
        ProcStat st;
        if (Proc_read_stat(tracer->pid, tid, &st) < 0 || st.state == 'Z' || st.state == 'X' ||
            !thread_exists(tracer->pid, tid))
            return -ESRCH; /* exited meanwhile */
        /* Held by another tracer: this thread (a debugger may hold one
         * thread and not the leader). */
        return other_holder(tracer, tid, holder) == -EBUSY ? -EBUSY : -EPERM;
    }
    return -err;
}

int
Tracer_seize(Tracer *tracer, pid_t tid)
{
    pid_t holder;
    return seize(tracer, tid, &holder);
}

/* Whether another tracer holds a thread found after attach is read
 * TRACER_HOLDER_DELAY_NS after it is followed, not at once: reading its
 * TracerPid opens, reads and closes its status, which the kernel formats
 * whole, and under thread churn most threads are gone by then (1,700 born
 * a second, each living under a second: 5,000 system calls a second for
 * this alone). A seize refused meanwhile makes the next sync read it at
 * once, so a held thread that must stop is named at once. */
#define TRACER_HOLDER_DELAY_NS (1000u * 1000 * 1000)

static int
compare_tid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

static void
add_suspect(Tracer *tracer, pid_t tid)
{
    tracer->suspects = xgrow(tracer->suspects, &tracer->suspect_cap, tracer->suspect_count + 1,
                             sizeof(*tracer->suspects));
    tracer->suspects[tracer->suspect_count++] = tid;
}

static bool
is_suspect(const Tracer *tracer, pid_t tid)
{
    return tracer->suspect_count &&
           bsearch(&tid, tracer->suspects, tracer->suspect_count, sizeof(pid_t), compare_tid);
}

/* A thread found by a sync, followed parked (Tracer_seize_on_demand).
 * Whether another tracer holds it is read now (check_now) or later
 * (TRACER_HOLDER_DELAY_NS); now: -EBUSY when one does (its TracerPid, then
 * *holder), which a seize would have told; -ESRCH when gone. */
static int
follow_parked(Tracer *tracer, pid_t tid, bool check_now, pid_t *holder)
{
    *holder = 0;
    if (!check_now) {
        uint64_t when = Util_now_ns() + TRACER_HOLDER_DELAY_NS;
        insert_thread(tracer, tid, TRACE_PARKED)->holder_check_ns = when;
        if (!tracer->holder_check_ns)
            tracer->holder_check_ns = when;
        return 0;
    }
    int r = other_holder(tracer, tid, holder);
    if (r == 0)
        insert_thread(tracer, tid, TRACE_PARKED);
    return r;
}

/* Parked threads exit with no report to spytop: gone when the listing
 * (sorted) no longer has them. */
static void
forget_exited_parked(Tracer *tracer, const pid_t *tids, size_t n)
{
    for (size_t i = 0; i < tracer->count && tracer->parked; i++) {
        TraceThread *thread = &tracer->threads[i];
        if (thread->state == TRACE_PARKED &&
            !bsearch(&thread->tid, tids, n, sizeof(*tids), compare_tid))
            set_state(tracer, thread, TRACE_GONE);
    }
}

static void note_exec(Tracer *tracer, pid_t leader);

/* With threads parked, an execve may come unreported: one by a parked
 * thread takes the leader's tid, untraced (the old leader goes without a
 * report; a wait for it says ECHILD, which marks it gone). The leader's
 * tid then is no tracee of spytop's. A leader that is a tracee (TracerPid:
 * spytop's), a zombie one (it refuses the seize) or one gone with the
 * process does not count. Seized again, it is the new program's. */
static void
check_exec_by_parked(Tracer *tracer)
{
    TraceThread *leader = Tracer_find(tracer, tracer->pid);
    bool ours = leader && leader->state != TRACE_RUNNING && leader->state != TRACE_GONE;
    if (tracer->exited || ours || Proc_tracer_pid(tracer->pid, 0) != 0)
        return;
    if (seize_guarded(tracer->pid) == 0)
        note_exec(tracer, tracer->pid);
}

static void
drop_gone_threads(Tracer *tracer)
{
    size_t out = 0;
    for (size_t i = 0; i < tracer->count; i++)
        if (tracer->threads[i].state != TRACE_GONE)
            tracer->threads[out++] = tracer->threads[i];
    tracer->count = out;
}

/* A thread that could not be seized: kept, with why, for the caller to
 * name (it is tried again at the next sync). */
static void
note_refusal(Tracer *tracer, pid_t tid, int err, pid_t holder)
{
    if (tracer->refused_count == tracer->refused_cap) {
        tracer->refused_cap = tracer->refused_cap ? tracer->refused_cap * 2 : 8;
        tracer->refused =
            xreallocarray(tracer->refused, tracer->refused_cap, sizeof(*tracer->refused));
    }
    tracer->refused[tracer->refused_count++] =
        (TraceRefusal){.tid = tid, .err = err, .tracer_pid = holder};
}

size_t
Tracer_refused(const Tracer *tracer, const TraceRefusal **refused)
{
    *refused = tracer->refused;
    return tracer->refused_count;
}

int
Tracer_sync_threads(Tracer *tracer)
{
    pid_t *tids;
    size_t n;
    bool first = tracer->synced_ns == 0;
    /* Counted before the listing: a thread born during it moves the count. */
    tracer->synced_threads = Proc_thread_count(tracer->pid);
    tracer->synced_ns = Util_now_ns();
    tracer->threads_changed = false;
    int err = Proc_list_threads(tracer->pid, &tids, &n);
    if (err < 0)
        return err;
    /* The last sync's refusals are read again at once. */
    for (size_t i = 0; i < tracer->refused_count; i++)
        add_suspect(tracer, tracer->refused[i].tid);
    if (tracer->suspect_count > 1)
        qsort(tracer->suspects, tracer->suspect_count, sizeof(pid_t), compare_tid);
    if (tracer->on_demand && !first) {
        forget_exited_parked(tracer, tids, n); /* the listing is sorted */
        check_exec_by_parked(tracer);
    }
    drop_gone_threads(tracer);
    int added = 0, first_error = 0;
    tracer->refused_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (Tracer_find(tracer, tids[i]))
            continue;
        pid_t holder;
        /* Parked only once one thread is seized: a refusal to seize shows
         * at attach, and the leader's exit is reported. */
        bool park = tracer->on_demand && tids[i] != tracer->pid && tracer->count > tracer->parked;
        bool check_now = first || is_suspect(tracer, tids[i]);
        int r = park ? follow_parked(tracer, tids[i], check_now, &holder)
                     : seize(tracer, tids[i], &holder);
        if (r == 0)
            added++;
        else if (r != -ESRCH)
            note_refusal(tracer, tids[i], r, holder);
        if (r < 0 && r != -ESRCH && !first_error)
            first_error = r;
    }
    free(tids);
    tracer->suspect_count = 0;
    if (tracer->count == 0)
        return first_error ? first_error : -ESRCH;
    return added;
}

/* Reads whether another tracer holds the parked threads whose delay
 * (TRACER_HOLDER_DELAY_NS) has passed by now_ns. One that is held, or
 * gone, is forgotten; a held one is named now and read again at the next
 * sync. One seized at that time is held by nobody else. */
static void
check_held_parked(Tracer *tracer, uint64_t now)
{
    if (!tracer->holder_check_ns || now < tracer->holder_check_ns)
        return;
    uint64_t next = 0;
    for (size_t i = 0; i < tracer->count; i++) {
        TraceThread *thread = &tracer->threads[i];
        if (!thread->holder_check_ns)
            continue;
        if (thread->holder_check_ns > now) {
            if (!next || thread->holder_check_ns < next)
                next = thread->holder_check_ns;
            continue;
        }
        thread->holder_check_ns = 0;
        if (thread->state != TRACE_PARKED)
            continue;
        pid_t holder;
        int r = other_holder(tracer, thread->tid, &holder);
        if (r == 0)
            continue;
        set_state(tracer, thread, TRACE_GONE);
        tracer->threads_changed = true;
        if (r == -EBUSY)
            note_refusal(tracer, thread->tid, -EBUSY, holder);
    }
    tracer->holder_check_ns = next;
}

int
Tracer_sync_changed_threads(Tracer *tracer)
{
    check_held_parked(tracer, Util_now_ns());
    long count = Proc_thread_count(tracer->pid);
    if (count >= 0 && count == tracer->synced_threads && !tracer->threads_changed &&
        Util_now_ns() - tracer->synced_ns < TRACER_RESYNC_NS)
        return 0;
    return Tracer_sync_threads(tracer);
}

/* Seizes a parked thread (Tracer_interrupt). On a refusal it is
 * forgotten: the next sync finds it again, and names a tracer that took
 * it meanwhile. */
static int
unpark(Tracer *tracer, TraceThread *thread)
{
    if (seize_guarded(thread->tid) == 0) {
        if (thread_exists(tracer->pid, thread->tid)) {
            set_state(tracer, thread, TRACE_RUNNING);
            return 0;
        }
        set_state(tracer, thread, TRACE_GONE);
        tracer->threads_changed = true;
        /* Its tid is no longer the process's. Either it exited unreported
         * and the tid now names a task of another process, let go at its
         * stop as an orphan (release_orphan); or the seize waited for an
         * execve by this very thread, which took the leader's tid
         * meanwhile: spytop then traces the new program's leader. */
        if (ptrace(PTRACE_INTERRUPT, thread->tid, NULL, NULL) < 0 &&
            Proc_tracer_pid(tracer->pid, 0) == getpid())
            note_exec(tracer, tracer->pid);
        return -ESRCH;
    }
    int err = errno;
    set_state(tracer, thread, TRACE_GONE);
    tracer->threads_changed = true;
    if (err != EPERM || !thread_exists(tracer->pid, thread->tid))
        return -ESRCH;
    add_suspect(tracer, thread->tid); /* the next sync names its tracer */
    return -EPERM;
}

int
Tracer_interrupt(Tracer *tracer, TraceThread *thread)
{
    if (thread->state == TRACE_PARKED) {
        int err = unpark(tracer, thread);
        if (err < 0)
            return err;
    }
    if (thread->state != TRACE_RUNNING || thread->interrupt_pending)
        return 0;
    if (ptrace(PTRACE_INTERRUPT, thread->tid, NULL, NULL) < 0)
        return -errno;
    thread->interrupt_pending = true;
    thread->interrupted_ns = Util_now_ns();
    return 0;
}

static bool
is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void
mark_gone(Tracer *tracer, pid_t tid)
{
    TraceThread *thread = Tracer_find(tracer, tid);
    tracer->threads_changed = true;
    if (thread) {
        set_state(tracer, thread, TRACE_GONE);
        thread->interrupt_pending = false;
        thread->handed = false;
    }
}

/* Takes a report that waitid(WNOWAIT) left in place off the queue. Returns
 * whether it was the thread's exit (then booked: the target's exit status
 * when it is the leader). */
static bool
consume_report(Tracer *tracer, pid_t tid)
{
    int status;
    pid_t r;
    do
        r = waitpid(tid, &status, __WALL | WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r != tid || !(WIFEXITED(status) || WIFSIGNALED(status)))
        return false;
    book_exit(tracer, tid, status);
    return true;
}

/* Consumes the exit of tid (a thread of ours, or a child we launched). */
static void
reap_exit(Tracer *tracer, pid_t tid)
{
    consume_report(tracer, tid);
    mark_gone(tracer, tid);
}

/* A thread called execve: every other thread is gone (no exit of theirs is
 * reported), the exec'ing one now runs the new program under the leader's
 * tid, and an interrupt sent to any of them will never be answered. */
static void
note_exec(Tracer *tracer, pid_t leader)
{
    tracer->threads_changed = true;
    for (size_t i = 0; i < tracer->count; i++) {
        TraceThread *thread = &tracer->threads[i];
        if (thread->tid != leader) {
            set_state(tracer, thread, TRACE_GONE);
            thread->handed = false;
            thread->interrupt_pending = false;
        }
    }
    TraceThread *thread = Tracer_find(tracer, leader);
    if (thread) {
        set_state(tracer, thread, TRACE_RUNNING);
        thread->handed = false;
        thread->interrupt_pending = false;
        thread->group_stopped = false;
    } else {
        insert_thread(tracer, leader, TRACE_RUNNING);
    }
    tracer->execs++;
}

/* The Tracer that holds tid, and its entry; NULL when none does. An entry
 * of a thread that is gone, or parked (which exits unreported), does not
 * count: its tid may name another Tracer's thread now. */
static Tracer *
owner_of(pid_t tid, TraceThread **thread)
{
    for (size_t i = 0; i < all_tracer_count; i++) {
        *thread = Tracer_find(all_tracers[i], tid);
        if (*thread && (*thread)->state != TRACE_GONE && (*thread)->state != TRACE_PARKED)
            return all_tracers[i];
    }
    *thread = NULL;
    return NULL;
}

/* A ptrace-stop of a thread no Tracer holds any more (one let go without
 * waiting, Session_delete, whose interrupt came after): detached here, with
 * its signal for a signal-delivery stop, so it neither sits stopped until
 * spytop exits nor loses the signal. A group-stop stays one. */
static void
release_orphan(pid_t tid, int event, int sig)
{
    if (ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)(event == 0 ? sig : 0)) < 0) {
        int status; /* not in a stop we may end (killed meanwhile): take the report */
        waitpid(tid, &status, __WALL | WNOHANG);
    }
}

/* A stop of a thread of owner, seen by another Tracer's poll: taken off the
 * queue (or every poll would see it first again) and kept for the owner. */
static void
hand_stop(Tracer *owner, TraceThread *thread)
{
    if (consume_report(owner, thread->tid)) {
        /* Killed between the look and the take: its exit, not a stop. */
        mark_gone(owner, thread->tid);
        return;
    }
    if (!thread->handed)
        owner->handed_count++;
    thread->handed = true;
}

/* A stop handed to this Tracer that the poll asks for, if any. */
static TraceThread *
take_handed(Tracer *tracer, idtype_t idtype, id_t id)
{
    if (!tracer->handed_count)
        return NULL;
    TraceThread *found = NULL;
    if (idtype == P_PID) {
        found = Tracer_find(tracer, (pid_t)id);
    } else {
        for (size_t i = 0; i < tracer->count && !found; i++)
            if (tracer->threads[i].handed)
                found = &tracer->threads[i];
        if (!found)
            tracer->handed_count = 0;
    }
    if (!found || !found->handed)
        return NULL;
    found->handed = false;
    tracer->handed_count--;
    if (found->state != TRACE_STOPPED && found->state != TRACE_GROUP_STOPPED)
        return NULL; /* resumed or gone since */
    return found;
}

/* Tracer_poll for the tracees idtype and id name: all of them (P_ALL), or
 * one (P_PID). A waitid for all walks the list of every tracee in the
 * kernel; one for one tid does not. */
static int
poll_reports(Tracer *self, idtype_t idtype, id_t id, TraceThread **stopped)
{
    if (reaped_count)
        book_reaped_exits();
    TraceThread *handed = take_handed(self, idtype, id);
    if (handed) {
        *stopped = handed;
        return 1;
    }
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (waitid(idtype, id, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECHILD && idtype == P_PID)
                mark_gone(self, (pid_t)id); /* not ours any more: it exec'd away */
            return errno == ECHILD ? 0 : -errno;
        }
        pid_t tid = si.si_pid;
        if (tid == 0)
            return 0;
        Tracer *tracer = self;
        TraceThread *thread = Tracer_find(tracer, tid);
        if (!thread || thread->state == TRACE_GONE || thread->state == TRACE_PARKED) {
            /* Another Tracer's thread (a parked entry is no tracee: its tid
             * may name another's thread now): handled for it. */
            TraceThread *other;
            Tracer *owner = owner_of(tid, &other);
            if (owner) {
                tracer = owner;
                thread = other;
            }
        }
        if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
            reap_exit(tracer, tid);
            continue;
        }
        if (thread && thread->state == TRACE_PARKED)
            thread = NULL; /* not a tracee of ours: no stop of it is ours */
        if (!thread && si.si_code == CLD_TRAPPED) {
            release_orphan(tid, (si.si_status >> 8) & 0xff, si.si_status & 0xff);
            continue;
        }
        if (!thread || si.si_code != CLD_TRAPPED) {
            /* A plain job-control report of a child we launched but do not
             * trace: consume it so it does not come back. */
            int status;
            waitpid(tid, &status, __WALL | WNOHANG | WUNTRACED | WCONTINUED);
            continue;
        }
        int event = (si.si_status >> 8) & 0xff;
        int sig = si.si_status & 0xff;
        if (event == PTRACE_EVENT_STOP) {
            /* Any EVENT_STOP consumes an outstanding interrupt. */
            thread->interrupt_pending = false;
            if (is_stop_signal(sig)) {
                thread->state = TRACE_GROUP_STOPPED;
                thread->group_stopped = true;
            } else {
                thread->state = TRACE_STOPPED;
                thread->group_stopped = false; /* SIGCONT ends a group-stop */
            }
            if (tracer != self) {
                hand_stop(tracer, thread);
                continue;
            }
            *stopped = thread;
            return 1;
        }
        if (event == PTRACE_EVENT_EXEC) {
            /* The kernel answers ESRCH to any request for a thread whose tid
             * changed in execve until its EXEC stop was waited for: consume
             * it first (it carries no signal to lose). */
            consume_report(tracer, tid);
            note_exec(tracer, tid);
        }
        /* A signal-delivery stop (event 0) gets its signal back; any other
         * event (exec, ...) continues with none. The restart consumes it. */
        int inject = event == 0 ? sig : 0;
        if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)inject) < 0) {
            if (errno != ESRCH)
                return -errno;
            /* Not in a stop we may restart (killed meanwhile): never see
             * this report again, or the loop would spin on it. */
            if (consume_report(tracer, tid))
                mark_gone(tracer, tid);
        }
    }
}

int
Tracer_poll(Tracer *tracer, TraceThread **stopped)
{
    return poll_reports(tracer, P_ALL, 0, stopped);
}

int
Tracer_poll_thread(Tracer *tracer, pid_t tid, TraceThread **stopped)
{
    return poll_reports(tracer, P_PID, (id_t)tid, stopped);
}

int
Tracer_get_regs(Tracer *tracer, TraceThread *thread, ArchRegs *regs)
{
    (void)tracer;
    struct iovec iov = {.iov_base = regs, .iov_len = sizeof(*regs)};
    if (ptrace(PTRACE_GETREGSET, thread->tid, (void *)NT_PRSTATUS, &iov) < 0)
        return -errno;
    return 0;
}

int
Tracer_resume(Tracer *tracer, TraceThread *thread)
{
    long r;
    if (thread->state == TRACE_GROUP_STOPPED)
        r = ptrace(PTRACE_LISTEN, thread->tid, NULL, NULL);
    else if (thread->state == TRACE_STOPPED)
        r = ptrace(PTRACE_CONT, thread->tid, NULL, (void *)0);
    else
        return 0;
    int err = r < 0 ? -errno : 0;
    thread->state = TRACE_RUNNING;
    thread->handed = false;
    /* On ESRCH the thread was killed while stopped (its exit is reaped by
     * a later poll) or is in no stop we may restart: its stop report must
     * not come back from every poll. */
    if (err == -ESRCH && consume_report(tracer, thread->tid))
        mark_gone(tracer, thread->tid);
    return err;
}

int
Tracer_detach(Tracer *tracer, TraceThread *thread)
{
    (void)tracer;
    if (thread->state != TRACE_STOPPED && thread->state != TRACE_GROUP_STOPPED)
        return -EINVAL;
    long r = ptrace(PTRACE_DETACH, thread->tid, NULL, (void *)0);
    int err = r < 0 ? -errno : 0;
    thread->state = TRACE_GONE;
    thread->handed = false;
    thread->interrupt_pending = false;
    return err;
}

int
Tracer_park(Tracer *tracer, TraceThread *thread)
{
    if (thread->state != TRACE_STOPPED || thread->tid == tracer->pid)
        return Tracer_resume(tracer, thread);
    /* From an interrupt stop, which carries no signal: a signal pending
     * meanwhile stays pending, and is delivered untraced. */
    if (ptrace(PTRACE_DETACH, thread->tid, NULL, (void *)0) < 0) {
        int err = -errno;
        thread->state = TRACE_RUNNING; /* as Tracer_resume leaves it */
        thread->handed = false;
        if (err == -ESRCH && consume_report(tracer, thread->tid))
            mark_gone(tracer, thread->tid);
        return err;
    }
    set_state(tracer, thread, TRACE_PARKED);
    thread->handed = false;
    thread->interrupt_pending = false;
    return 0;
}

bool
Tracer_has_handed(const Tracer *tracer)
{
    return tracer->handed_count > 0;
}

bool
Tracer_any_handed(void)
{
    for (size_t i = 0; i < all_tracer_count; i++)
        if (all_tracers[i]->handed_count > 0)
            return true;
    return false;
}

void
Tracer_drain(Tracer *tracer)
{
    TraceThread *thread;
    while (Tracer_poll(tracer, &thread) == 1)
        Tracer_resume(tracer, thread);
}

size_t
Tracer_detach_all(Tracer *tracer, uint64_t timeout_ns)
{
    uint64_t deadline = Util_now_ns() + timeout_ns;
    for (size_t i = 0; i < tracer->count; i++) {
        TraceThread *thread = &tracer->threads[i];
        if (thread->state == TRACE_STOPPED || thread->state == TRACE_GROUP_STOPPED)
            Tracer_detach(tracer, thread);
        else if (thread->state == TRACE_RUNNING && Tracer_interrupt(tracer, thread) == -ESRCH)
            thread->state = TRACE_GONE;
        thread->handed = false;
    }
    for (;;) {
        size_t left = 0;
        for (size_t i = 0; i < tracer->count; i++)
            left += tracer->threads[i].state == TRACE_RUNNING;
        if (left == 0 || Util_now_ns() >= deadline) {
            drop_gone_threads(tracer);
            return left;
        }
        TraceThread *thread;
        int r = Tracer_poll(tracer, &thread);
        if (r == 1) {
            Tracer_detach(tracer, thread);
        } else if (r < 0) {
            drop_gone_threads(tracer);
            return left;
        } else {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
    }
}

unsigned
Tracer_exec_count(const Tracer *tracer)
{
    return tracer->execs;
}

bool
Tracer_target_exited(const Tracer *tracer, int *wait_status)
{
    if (tracer->exited && wait_status)
        *wait_status = tracer->exit_status;
    return tracer->exited;
}
