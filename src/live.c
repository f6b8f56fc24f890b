#include "config.h"

#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_codes.h"
#include "launch.h"
#include "loop.h"
#include "proc.h"
#include "processset.h"
#include "session.h"
#include "util.h"

#define NS_PER_S 1000000000ull
#define STOP_RING 1024
#define LAUNCHED_EXIT_WAIT_MS 5000
/* How long a released command may take to reach its exec before the first
 * ticks go on without it (they reload the maps when the exec comes). */
#define LAUNCHED_EXEC_WAIT_NS (5 * NS_PER_S)
/* How often threads gone for a while leave the aggregator (thread churn). */
#define RETIRE_INTERVAL_NS (2 * NS_PER_S)
/* A thread that ended stays listed (gone) until not sampled for this many
 * ticks, when many did: see Aggregator_retire_threads. */
#define QUIET_TICKS 50

/* Per-thread CPU accounting between two redraws, and the name last seen. */
typedef struct ThreadCpu {
    pid_t tid;
    uint64_t ticks;
    StrId name;
    unsigned refreshes; /* since it was first listed */
} ThreadCpu;

/* A thread's name is read at its first NAME_FRESH refreshes (a thread often
 * names itself just after it starts), then every NAME_EVERY: renames are
 * rare, and reading every thread's comm at every refresh is a third of
 * what a refresh costs. */
#define NAME_FRESH 3
#define NAME_EVERY 10

/* The same per process, for the target's CPU share. */
typedef struct ProcessCpu {
    pid_t pid;
    uint64_t ticks;
} ProcessCpu;

typedef struct Live {
    const LiveOptions *options;
    Aggregator *agg;
    Symtab *symtab;
    ProcessSet *set;     /* the processes sampled (one unless -p PID,PID or -s) */
    pid_t pid;           /* the primary one: -p's first PID, or the command */
    bool sink_open;      /* the consumer started: the sink hears of processes */
    uint64_t retired_ns; /* when threads were last retired */
    pid_t child;         /* launched command, or 0 */
    Launch launch;       /* its start, until it exec'd */
    char *command;
    char *python, *python_problem;
    char *not_sampled_text;   /* the sessions', when their count last changed */
    char *skipped_text;       /* the set's, when its count last changed */
    char *skipped_given;      /* PIDs given that could not be attached */
    pid_t not_sampled_first;  /* the first of them then */
    unsigned python_changes;  /* the session's, when last taken */
    pid_t python_pid;         /* whose session that was */
    bool async_on;            /* --async now (the consumer may turn it) */
    uint64_t mismatches_gone; /* Python mismatches of processes that left */
    RunStatus status;

    int timer_fd;
    uint64_t interval_ns;
    uint64_t next_tick_ns, last_tick_ns;
    uint64_t rng;
    uint64_t start_ns;

    uint64_t stop_ring[STOP_RING];
    size_t stop_count;
    uint64_t stopped_ring[STOP_RING]; /* threads stopped, per tick */
    size_t stopped_count;
    Consumer *consumer;

    /* Rates over the last redraw period. */
    uint64_t period_start_ns, period_ticks, period_gil_ticks;
    ProcessCpu *process_cpu;
    size_t process_cpu_count;
    struct timeval spytop_cpu_prev;
    ThreadCpu *thread_cpu; /* sorted by tid */
    size_t thread_cpu_count;
    uint64_t thread_cpu_ns; /* when they were read */
} Live;

static uint64_t
next_random(Live *live)
{
    /* xorshift64*: jitter only, not security. */
    live->rng ^= live->rng >> 12;
    live->rng ^= live->rng << 25;
    live->rng ^= live->rng >> 27;
    return live->rng * 0x2545f4914f6cdd1dull;
}

/* The next tick is 0.75 to 1.25 intervals away, so periodic work in the
 * target does not alias with the sampling. */
static void
schedule_tick(Live *live, uint64_t now)
{
    uint64_t jitter = next_random(live) % (live->interval_ns / 2 + 1);
    uint64_t next = live->next_tick_ns + live->interval_ns * 3 / 4 + jitter;
    if (next <= now) {
        /* Late: skip the ticks that are due instead of queueing them. */
        live->status.skipped_ticks += (now - next) / live->interval_ns + 1;
        next = now + live->interval_ns * 3 / 4 + jitter;
    }
    live->next_tick_ns = next;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(next / NS_PER_S), .tv_nsec = (long)(next % NS_PER_S)},
    };
    timerfd_settime(live->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

typedef struct TickContext {
    Live *live;
    uint64_t weight_ns;
    size_t running, sleeping, stopped, late;
    bool gil;
} TickContext;

static void
on_sample(void *arg, const Sample *sample, const SampleTrace *trace)
{
    (void)trace;
    TickContext *ctx = arg;
    Live *live = ctx->live;
    live->status.samples++;
    if (sample->status == SAMPLE_LATE) {
        live->status.late++;
        ctx->late++;
        return;
    }
    if (sample->status == SAMPLE_ASLEEP) {
        /* Left alone: idle by /proc's account, no stack; counted so the
         * views' idle figures stay whole. */
        ctx->sleeping++;
        Aggregator_add(live->agg, sample, ctx->weight_ns);
        return;
    }
    if (sample->status != SAMPLE_OK && sample->status != SAMPLE_NO_STACK) {
        live->status.errors++;
        return;
    }
    if (sample->group_stopped || sample->state == 'T' || sample->state == 't')
        ctx->stopped++;
    else if (sample->state == 'R')
        ctx->running++;
    else
        ctx->sleeping++;
    live->stop_ring[live->stop_count++ % STOP_RING] = sample->stopped_ns;
    if (sample->stopped_ns > live->status.stop_max_ns)
        live->status.stop_max_ns = sample->stopped_ns;
    ctx->gil |= sample->holds_gil;
    Aggregator_add(live->agg, sample, ctx->weight_ns);
    const LiveSink *sink = live->options->sink;
    if (sink && sink->sample)
        sink->sample(sink->self, sample, live->symtab);
}

static void
note_exit(Live *live)
{
    if (live->status.exited)
        return;
    live->status.exited = true;
    int ws;
    bool known;
    if (ProcessSet_primary_exited(live->set, &ws, &known) && known) {
        live->status.exit_status = ws;
        live->status.exit_known = true;
    } else if (live->child && Launch_wait(live->child, 0, &ws)) {
        live->status.exit_status = ws;
        live->status.exit_known = true;
    }
    if (live->status.exit_known && live->child)
        live->child = 0; /* reaped */
    /* All gone, or the launched command exited: let go of the rest. */
    ProcessSet_detach(live->set, 2 * NS_PER_S);
    live->status.processes = 0;
    live->status.attached = false;
    struct itimerspec off = {0};
    timerfd_settime(live->timer_fd, 0, &off, NULL);
}

/* The session's strings live as long as it does: keep copies. Taken again
 * when they change (the interpreter found later, or replaced by an exec). */
static void
take_python_status(Live *live, Session *session)
{
    live->python_changes = Session_python_changes(session);
    bool shown = live->status.message && live->status.message == live->python_problem;
    free(live->python);
    live->python =
        Session_python_version(session) ? xstrdup(Session_python_version(session)) : NULL;
    free(live->python_problem);
    live->python_problem =
        Session_python_problem(session)
            ? xasprintf("Python frames not shown: %s", Session_python_problem(session))
        : Session_python_async_problem(session)
            ? xasprintf("--async not applied: %s", Session_python_async_problem(session))
            : NULL;
    live->status.python = live->python;
    if (live->python_problem || shown)
        live->status.message = live->python_problem;
}

/* A process followed or let go: named for the views, told to the sink. */
static void
on_process_event(void *arg, pid_t pid, Session *session, ProcessEvent event)
{
    Live *live = arg;
    const LiveSink *sink = live->options->sink;
    if (event == PROCESS_EXITED || event == PROCESS_LET_GO) {
        live->mismatches_gone += Session_python_mismatches(session);
        if (event == PROCESS_EXITED && live->sink_open && sink && sink->process_gone)
            sink->process_gone(sink->self, pid, Util_now_ns());
        return;
    }
    Session_set_python_async(session, live->async_on);
    if (event == PROCESS_FOLLOWED_AGAIN)
        return; /* after Ctrl-Z: the same process, told of already */
    live->status.processes_seen++;
    char *command = Proc_cmdline(pid);
    if (command)
        Aggregator_name_process(live->agg, pid, Symtab_intern_cstr(live->symtab, command));
    if (live->sink_open && sink && sink->process)
        sink->process(sink->self, pid, command ? command : "", Util_now_ns());
    free(command);
}

/* The processes followed before the consumer started (the sink, a
 * recording, opens there). */
static void
announce_processes(Live *live)
{
    const LiveSink *sink = live->options->sink;
    if (!sink || !sink->process)
        return;
    for (size_t i = 0; i < ProcessSet_count(live->set); i++) {
        pid_t pid = ProcessSet_pid(live->set, i);
        char *command = pid == live->pid ? NULL : Proc_cmdline(pid);
        const char *line = pid == live->pid ? live->command : command;
        sink->process(sink->self, pid, line ? line : "", Util_now_ns());
        free(command);
    }
}

/* A launched command's exit ends the run, whatever else is followed. */
static bool
live_ends_with_primary(const Live *live)
{
    return live->status.launched && ProcessSet_primary_exited(live->set, NULL, NULL);
}

/* Whose Python status the header shows: the primary process's while it is
 * followed, else the first one's; NULL when none is. */
static Session *
python_session(const Live *live)
{
    Session *s = ProcessSet_primary(live->set);
    if (!s && ProcessSet_count(live->set))
        s = ProcessSet_session(live->set, 0);
    return s;
}

static void
update_python_status(Live *live)
{
    Session *s = python_session(live);
    if (!s)
        return;
    if (Session_pid(s) != live->python_pid || Session_python_changes(s) != live->python_changes) {
        live->python_pid = Session_pid(s);
        take_python_status(live, s);
    }
}

/* Threads not sampled (another tracer holds them) in every process, and
 * processes not followed, named again when their count changes or another
 * thread heads the list. */
static void
update_not_sampled(Live *live)
{
    size_t total = 0;
    pid_t first = 0;
    uint64_t mismatches = 0;
    for (size_t i = 0; i < ProcessSet_count(live->set); i++) {
        Session *s = ProcessSet_session(live->set, i);
        const TraceRefusal *refused;
        size_t n = Session_not_sampled(s, &refused);
        if (n && !first)
            first = refused[0].tid;
        total += n;
        mismatches += Session_python_mismatches(s);
    }
    live->status.python_mismatches = live->mismatches_gone + mismatches;
    if (total != live->status.not_sampled || first != live->not_sampled_first) {
        live->not_sampled_first = first;
        free(live->not_sampled_text);
        live->not_sampled_text = NULL;
        for (size_t i = 0; i < ProcessSet_count(live->set); i++) {
            char *text = Session_not_sampled_text(ProcessSet_session(live->set, i));
            if (!text)
                continue;
            char *joined = live->not_sampled_text
                               ? xasprintf("%s; %s", live->not_sampled_text, text)
                               : xstrdup(text);
            free(text);
            free(live->not_sampled_text);
            live->not_sampled_text = joined;
        }
        live->status.not_sampled = total;
        live->status.not_sampled_text = live->not_sampled_text;
    }
    size_t skipped = ProcessSet_skipped(live->set);
    if (skipped != live->status.processes_skipped) {
        /* Shown as the notice, unless another one is. */
        bool shown = !live->status.message || live->status.message == live->skipped_text;
        free(live->skipped_text);
        live->skipped_text = ProcessSet_skipped_text(live->set);
        if (shown)
            live->status.message = live->skipped_text;
        live->status.processes_skipped = skipped;
        live->status.processes_skipped_text = live->skipped_text;
    }
    live->status.processes = ProcessSet_count(live->set);
}

/* The timer fired: one sample of every thread. */
static void
tick(void *self)
{
    Live *live = self;
    uint64_t expirations;
    if (read(live->timer_fd, &expirations, sizeof(expirations)) < 0)
        return;
    if (!ProcessSet_count(live->set))
        return;
    uint64_t now = Util_now_ns();
    ProcessSet_discover(live->set, now);
    TickContext ctx = {.live = live};
    ctx.weight_ns = live->last_tick_ns ? now - live->last_tick_ns : live->interval_ns;
    if (ctx.weight_ns > 2 * live->interval_ns)
        ctx.weight_ns = 2 * live->interval_ns;
    live->last_tick_ns = now;
    SamplerTickStats stats;
    Consumer *consumer = live->consumer;
    bool leave = consumer && consumer->wants_idle && !consumer->wants_idle(consumer->self);
    if (consumer && consumer->wants_async &&
        consumer->wants_async(consumer->self) != live->async_on) {
        live->async_on = !live->async_on;
        for (size_t i = 0; i < ProcessSet_count(live->set); i++)
            Session_set_python_async(ProcessSet_session(live->set, i), live->async_on);
    }
    size_t left = ProcessSet_tick(live->set, leave, on_sample, &ctx, &stats);
    live->stopped_ring[live->stopped_count++ % STOP_RING] = stats.threads;
    live->status.ticks++;
    live->period_ticks++;
    live->period_gil_ticks += ctx.gil;
    if (!left || live_ends_with_primary(live)) {
        note_exit(live);
        return;
    }
    update_not_sampled(live);
    update_python_status(live);
    live->status.running = ctx.running;
    live->status.sleeping = ctx.sleeping;
    live->status.stopped = ctx.stopped;
    /* Late threads: those whose stop this tick missed the deadline (a
     * snapshot each) and those still owing an earlier one (none). */
    live->status.late_threads = stats.late;
    live->status.threads = ctx.running + ctx.sleeping + ctx.stopped + stats.late;
    Aggregator_advance(live->agg, now);
    if (now - live->retired_ns >= RETIRE_INTERVAL_NS) {
        Aggregator_retire_threads(live->agg, now, QUIET_TICKS * live->interval_ns);
        live->retired_ns = now;
    }
    schedule_tick(live, Util_now_ns());
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The last values of a ring of STOP_RING (count ever put in), sorted
 * into out; how many. */
static size_t
sorted_ring(const uint64_t *ring, size_t count, uint64_t *out)
{
    size_t n = count < STOP_RING ? count : STOP_RING;
    memcpy(out, ring, n * sizeof(*out));
    qsort(out, n, sizeof(*out), compare_u64);
    return n;
}

typedef struct ThreadOf {
    pid_t pid, tid;
    Session *session; /* its process's */
} ThreadOf;

/* Every thread of every process followed, into a new array: n. */
static size_t
list_threads(Live *live, ThreadOf **out)
{
    size_t n = 0, cap = 16;
    ThreadOf *all = xmalloc(cap * sizeof(*all));
    for (size_t p = 0; p < ProcessSet_count(live->set); p++) {
        pid_t pid = ProcessSet_pid(live->set, p), *tids;
        Session *session = ProcessSet_session(live->set, p);
        size_t k;
        if (Proc_list_threads(pid, &tids, &k) < 0)
            continue;
        all = xgrow(all, &cap, n + k, sizeof(*all));
        for (size_t i = 0; i < k; i++)
            all[n++] = (ThreadOf){pid, tids[i], session};
        free(tids);
    }
    *out = all;
    return n;
}

static int
compare_thread_cpu(const void *a, const void *b)
{
    pid_t x = ((const ThreadCpu *)a)->tid, y = ((const ThreadCpu *)b)->tid;
    return (x > y) - (x < y);
}

static const ThreadCpu *
find_thread_cpu(const ThreadCpu *sorted, size_t count, pid_t tid)
{
    ThreadCpu key = {.tid = tid};
    return count ? bsearch(&key, sorted, count, sizeof(*sorted), compare_thread_cpu) : NULL;
}

/* Thread tid's name as the views show it: its comm (from its stat when
 * read, else read), and its Python thread name beside it when that
 * differs. SYMTAB_EMPTY when unreadable. */
static StrId
thread_name(Live *live, const ThreadOf *thread, const ProcStat *stat)
{
    char name[320];
    if (stat)
        snprintf(name, sizeof(name), "%s", stat->comm);
    else if (Proc_thread_name(thread->pid, thread->tid, name, 32) < 0)
        return SYMTAB_EMPTY;
    const char *py = Session_python_thread_name(thread->session, thread->tid);
    if (py && strcmp(py, name) != 0) {
        size_t len = strlen(name);
        snprintf(name + len, sizeof(name) - len, " [%s]", py);
    }
    return Symtab_intern_cstr(live->symtab, name);
}

/* Thread names and CPU shares, refreshed once per redraw. A thread the
 * sampler saw idle since the last refresh has not run: its CPU time is
 * what it was, and its stat is not read (with 2,000 sleepers, reading
 * every thread's stat and comm at every refresh was some 12,000 system
 * calls a second). */
static void
refresh_threads(Live *live, double period_s)
{
    ThreadOf *threads;
    size_t n = list_threads(live, &threads);
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t now = Util_now_ns(), since = live->thread_cpu_ns;
    ThreadCpu *fresh = xcalloc(n ? n : 1, sizeof(*fresh));
    const LiveSink *sink = live->options->sink;
    for (size_t i = 0; i < n; i++) {
        const ThreadOf *thread = &threads[i];
        const ThreadCpu *old =
            find_thread_cpu(live->thread_cpu, live->thread_cpu_count, thread->tid);
        ThreadCpu *f = &fresh[i];
        f->tid = thread->tid;
        f->refreshes = old ? old->refreshes + 1 : 0;
        f->name = old ? old->name : SYMTAB_EMPTY;
        /* One read of its stat gives both its CPU time and its name; a
         * stat that cannot be read is a thread gone since the listing. */
        bool idle = old && since && Session_thread_idle_since(thread->session, thread->tid, since);
        ProcStat stat;
        bool have_stat = !idle && Proc_read_stat(thread->pid, thread->tid, &stat) == 0;
        f->ticks = idle ? old->ticks : have_stat ? stat.utime_ticks + stat.stime_ticks : 0;
        if ((have_stat || idle) &&
            (f->refreshes < NAME_FRESH || f->refreshes % NAME_EVERY == 0 || !f->name)) {
            StrId name = thread_name(live, thread, have_stat ? &stat : NULL);
            if (name != SYMTAB_EMPTY)
                f->name = name;
        }
        if (f->name != SYMTAB_EMPTY)
            Aggregator_name_thread(live->agg, thread->tid, f->name);
        if (old && period_s > 0) {
            uint64_t used = f->ticks >= old->ticks ? f->ticks - old->ticks : 0;
            Aggregator_set_thread_cpu(live->agg, thread->tid,
                                      (double)used * 100.0 / ((double)hz * period_s));
        }
        bool known = old && old->name == f->name;
        if (!known && f->name != SYMTAB_EMPTY && sink && sink->thread_name)
            sink->thread_name(sink->self, thread->tid, Symtab_string(live->symtab, f->name),
                              Util_now_ns());
    }
    qsort(fresh, n, sizeof(*fresh), compare_thread_cpu);
    pid_t *tids = xcalloc(n ? n : 1, sizeof(*tids));
    for (size_t i = 0; i < n; i++)
        tids[i] = fresh[i].tid;
    Aggregator_threads_listed(live->agg, tids, n);
    free(tids);
    free(live->thread_cpu);
    live->thread_cpu = fresh;
    live->thread_cpu_count = n;
    live->thread_cpu_ns = now;
    free(threads);
}

/* The CPU share of all processes followed over the period (those that
 * came or went meanwhile count from or until then). */
static double
refresh_target_cpu(Live *live, double period_s)
{
    size_t n = ProcessSet_count(live->set);
    ProcessCpu *fresh = xcalloc(n ? n : 1, sizeof(*fresh));
    uint64_t used = 0;
    for (size_t p = 0; p < n; p++) {
        ProcStat st;
        fresh[p].pid = ProcessSet_pid(live->set, p);
        if (Proc_read_stat(fresh[p].pid, 0, &st) < 0)
            continue;
        fresh[p].ticks = st.utime_ticks + st.stime_ticks;
        for (size_t k = 0; k < live->process_cpu_count; k++)
            if (live->process_cpu[k].pid == fresh[p].pid &&
                live->process_cpu[k].ticks <= fresh[p].ticks)
                used += fresh[p].ticks - live->process_cpu[k].ticks;
    }
    free(live->process_cpu);
    live->process_cpu = fresh;
    live->process_cpu_count = n;
    return period_s > 0 ? (double)used * 100.0 / ((double)sysconf(_SC_CLK_TCK) * period_s) : 0;
}

/* The names read before the consumer started: the sink (a recording)
 * opens in the consumer's start, so they reach it only now. */
static void
announce_thread_names(Live *live)
{
    const LiveSink *sink = live->options->sink;
    if (!sink || !sink->thread_name)
        return;
    uint64_t now = Util_now_ns();
    for (size_t k = 0; k < live->thread_cpu_count; k++)
        if (live->thread_cpu[k].name != SYMTAB_EMPTY)
            sink->thread_name(sink->self, live->thread_cpu[k].tid,
                              Symtab_string(live->symtab, live->thread_cpu[k].name), now);
}

/* Before each update of the consumer. */
static void
update_status(void *self)
{
    Live *live = self;
    uint64_t now = Util_now_ns();
    RunStatus *s = &live->status;
    if (s->ended)
        return; /* -d ran out: the last figures stay as they were */
    s->now_ns = now;
    s->elapsed_ns = now - live->start_ns;
    double period_s = (double)(now - live->period_start_ns) / 1e9;
    if (period_s > 0.2) {
        s->rate_reached_hz = (double)live->period_ticks / period_s;
        s->gil_pct = live->period_ticks
                         ? (double)live->period_gil_ticks * 100.0 / (double)live->period_ticks
                         : 0;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        struct timeval used;
        timeradd(&ru.ru_utime, &ru.ru_stime, &used);
        struct timeval delta;
        timersub(&used, &live->spytop_cpu_prev, &delta);
        s->spytop_cpu_pct = ((double)delta.tv_sec + (double)delta.tv_usec / 1e6) * 100.0 / period_s;
        live->spytop_cpu_prev = used;
        if (!s->exited) {
            s->target_cpu_pct = refresh_target_cpu(live, period_s);
            refresh_threads(live, period_s);
        }
        live->period_start_ns = now;
        live->period_ticks = live->period_gil_ticks = 0;
    }
    uint64_t sorted[STOP_RING];
    size_t n = sorted_ring(live->stop_ring, live->stop_count, sorted);
    if (n) {
        s->stop_median_ns = sorted[n / 2];
        s->stop_p99_ns = sorted[(n * 99) / 100];
    }
    n = sorted_ring(live->stopped_ring, live->stopped_count, sorted);
    if (n)
        s->stopped_per_tick = (size_t)sorted[n / 2];
}

/* Attached: the first tick now, the next ones from there. */
static void
start_ticking(Live *live)
{
    live->status.attached = true;
    live->last_tick_ns = 0;
    live->next_tick_ns = Util_now_ns();
    schedule_tick(live, live->next_tick_ns);
}

/* Seizes the PIDs given (or the launched command): one that cannot be
 * attached is named on stderr and in the status, and skipped, unless none
 * can be; the first one seized is the primary process. 0, or the first
 * one's error with *cause. */
static int
open_sessions(Live *live, char **cause)
{
    int first_err = 0;
    size_t n = live->options->pid_count ? live->options->pid_count : 1;
    for (size_t i = 0; i < n; i++) {
        pid_t pid = live->options->pid_count ? live->options->pids[i] : live->pid;
        int err;
        char *why = NULL;
        if (ProcessSet_add(live->set, pid, &err, &why) == 0)
            continue;
        if (!first_err) {
            first_err = err;
            *cause = why;
            why = NULL;
        }
        if (n > 1) {
            char *said = live->skipped_given;
            live->skipped_given = xasprintf("%s%sPID %d not sampled: %s", said ? said : "",
                                            said ? "; " : "", (int)pid,
                                            why      ? why
                                            : *cause ? *cause
                                                     : strerror(-err));
            free(said);
        }
        free(why);
    }
    if (!ProcessSet_count(live->set))
        return first_err;
    free(*cause);
    *cause = NULL;
    if (live->skipped_given) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(live->skipped_given, stderr);
        fputc('\n', stderr);
        live->status.message = live->skipped_given;
    }
    live->pid = ProcessSet_pid(live->set, 0);
    ProcessSet_discover(live->set, Util_now_ns());
    live->status.processes = ProcessSet_count(live->set);
    update_python_status(live);
    start_ticking(live);
    return 0;
}

/* Ctrl-Z: nothing of the target may stay attached while spytop is stopped. */
static void
detach_for_suspend(void *self)
{
    Live *live = self;
    ProcessSet_detach(live->set, 2 * NS_PER_S);
    live->status.attached = false;
}

/* Running again after the suspend. */
static void
attach_again(void *self)
{
    Live *live = self;
    if (!live->status.exited) {
        if (!ProcessSet_attach_again(live->set) || live_ends_with_primary(live)) {
            live->status.message = "the target could not be attached again after the suspend";
            note_exit(live);
            return;
        }
        start_ticking(live);
    }
}

/* SIGCHLD: a tracee stopped (a signal for it, a late interrupt) or exited. */
static void
on_child(void *self)
{
    Live *live = self;
    if (ProcessSet_count(live->set)) {
        if (!ProcessSet_service(live->set) || live_ends_with_primary(live))
            note_exit(live);
    } else if (live->child && !live->status.exited) {
        int ws;
        if (Launch_wait(live->child, 0, &ws)) {
            live->status.exited = true;
            live->status.exit_status = ws;
            live->status.exit_known = true;
            live->child = 0;
        }
    }
}

/* Forks the command, held before its exec until the session has seized it
 * (run_command lets it go). 0, or -1 when it could not start (printed). */
static int
launch(Live *live)
{
    const LiveOptions *o = live->options;
    int out = -1, in = -1;
    if (o->command_output) {
        out = open(o->command_output,
                   O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (out < 0) {
            fprintf(stderr, "spytop: cannot open '%s' for the command's output: %s\n",
                    o->command_output, strerror(errno));
            return -1;
        }
    } else if (o->command_output_null) {
        out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    if (o->command_output_null || o->command_output)
        in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    LaunchOptions lo = {.argv = o->command, .stdin_fd = in, .output_fd = out};
    char *cause = NULL;
    int r = Launch_start(&live->launch, &lo, &cause);
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    if (r < 0) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(cause, stderr);
        fputc('\n', stderr);
        free(cause);
        return -1;
    }
    live->pid = live->child = live->launch.pid;
    live->status.launched = true;
    return 0;
}

/* The seized command execs now. Its exec is awaited, so that the first
 * tick samples the command's first instructions with the command's maps,
 * not spytop's fork of itself. 0, or -1 when it could not run (printed). */
static int
run_command(Live *live)
{
    Launch_release(&live->launch);
    int r = Session_wait_exec(ProcessSet_primary(live->set), LAUNCHED_EXEC_WAIT_NS);
    int exec_errno = r == -ESRCH ? Launch_exec_error(&live->launch) : 0;
    Launch_done(&live->launch);
    if (exec_errno) {
        char *cause =
            xasprintf("cannot run '%s': %s", live->options->command[0], strerror(exec_errno));
        fputs("spytop: ", stderr);
        Util_fputs_escaped(cause, stderr);
        fputc('\n', stderr);
        free(cause);
        return -1;
    }
    /* Killed before its exec, or exited already: the first tick reports
     * its exit as any other. */
    live->python_pid = 0;
    update_python_status(live);
    return 0;
}

/* The target's command line; for a command that exited already (a zombie
 * has none), the arguments it was launched with. */
static char *
command_line(const Live *live)
{
    char *line = Proc_cmdline(live->pid);
    if (line && line[0])
        return line;
    free(line);
    if (!live->status.launched) {
        /* No command line to read (a kernel thread; a leader gone by
         * pthread_exit takes its memory with it): the name, as ps shows it. */
        char name[16];
        return Proc_thread_name(live->pid, 0, name, sizeof(name)) == 0 ? xasprintf("[%s]", name)
                                                                       : NULL;
    }
    size_t len = 1;
    for (char *const *a = live->options->command; *a; a++)
        len += strlen(*a) + 1;
    line = xmalloc(len);
    line[0] = '\0';
    for (char *const *a = live->options->command; *a; a++) {
        if (a != live->options->command)
            strcat(line, " ");
        strcat(line, *a);
    }
    return line;
}

static int
final_status(Live *live)
{
    if (live->status.launched) {
        if (live->child && !live->status.exit_known) {
            /* Quit (q, -d, --iterations, a signal) while the command runs:
             * spytop ends it, and that is a normal end, not the command's
             * failure: exit 0 and say so. Its own status passes through
             * only when it ended by itself. */
            kill(live->child, SIGTERM);
            int ws;
            if (!Launch_wait(live->child, LAUNCHED_EXIT_WAIT_MS, &ws)) {
                fprintf(stderr, "spytop: PID %d did not exit after SIGTERM; left running\n",
                        (int)live->child);
                return EXIT_PARTIAL;
            }
            char how[64] = "";
            if (!WIFSIGNALED(ws) || WTERMSIG(ws) != SIGTERM)
                Launch_describe_exit(ws, how, sizeof(how));
            fprintf(stderr, "spytop: stopped the command (PID %d) with SIGTERM%s%s%s\n",
                    (int)live->child, how[0] ? " (it ended with " : "", how, how[0] ? ")" : "");
            return EXIT_OK;
        }
        return live->status.exit_known ? Launch_exit_code(live->status.exit_status) : EXIT_OK;
    }
    return EXIT_OK;
}

int
Live_run(const LiveOptions *options, Consumer *consumer, Aggregator *agg, Symtab *symtab)
{
    Live live_storage, *live = &live_storage;
    memset(live, 0, sizeof(*live));
    live->options = options;
    live->consumer = consumer;
    live->agg = agg;
    live->symtab = symtab;
    live->pid = options->pid;
    live->status.rate_hz = options->rate_hz;
    live->async_on = options->session.python_async;
    live->interval_ns = NS_PER_S / (options->rate_hz ? options->rate_hz : 100);
    live->rng = Util_now_ns() | 1;
    live->timer_fd = -1;
    live->launch = (Launch){.pid = -1, .go_fd = -1, .error_fd = -1};

    /* Signals first: one that comes while attaching is handled in the loop. */
    int status = EXIT_FATAL;
    char *cause = NULL;
    Loop *loop = Loop_new(&cause);
    if (!loop) {
        fprintf(stderr, "spytop: %s\n", cause);
        free(cause);
        return status;
    }
    live->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (live->timer_fd < 0) {
        fprintf(stderr, "spytop: timerfd: %s\n", strerror(errno));
        goto out;
    }
    if (options->command && launch(live) < 0)
        goto out;
    /* After the launch: the command keeps the nice value it was given. */
    Util_set_own_nice(options->nice, options->nice_given);

    ProcessSetOptions so = {
        .session = &options->session,
        .follow_children = options->subprocesses,
        .on_event = on_process_event,
        .event_arg = live,
    };
    live->set = ProcessSet_new(symtab, &so);
    int err = open_sessions(live, &cause);
    if (err < 0) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(cause ? cause : strerror(-err), stderr);
        fputc('\n', stderr);
        free(cause);
        if (live->child) {
            /* Never released: it exits without running the command. */
            Launch_done(&live->launch);
            Launch_wait(live->child, LAUNCHED_EXIT_WAIT_MS, &err);
        }
        goto out;
    }
    if (live->child && run_command(live) < 0) {
        /* Its exec failed: the child exited 127, reaped by the tracer. */
        goto out;
    }
    live->command = command_line(live);
    if (live->command)
        Aggregator_name_process(agg, live->pid, Symtab_intern_cstr(symtab, live->command));
    live->status.pid = live->pid;
    live->status.command = live->command ? live->command : "";
    live->start_ns = live->period_start_ns = Util_now_ns();
    refresh_target_cpu(live, 0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    timeradd(&ru.ru_utime, &ru.ru_stime, &live->spytop_cpu_prev);
    refresh_threads(live, 0);
    update_status(live);
    if (consumer->start && consumer->start(consumer->self, &live->status) < 0) {
        ProcessSet_detach(live->set, 2 * NS_PER_S);
        status = final_status(live);
        if (status == EXIT_OK)
            status = EXIT_FATAL;
        goto out;
    }
    live->sink_open = true;
    announce_processes(live);
    announce_thread_names(live);

    LoopSource source = {
        .self = live,
        .status = &live->status,
        .fd = live->timer_fd,
        .on_ready = tick,
        .on_child = on_child,
        .refresh = update_status,
        .suspend = detach_for_suspend,
        .resume = attach_again,
    };
    /* When -d ends the run; 0: it runs until stopped. */
    uint64_t end_ns =
        options->duration_s > 0 ? live->start_ns + (uint64_t)(options->duration_s * 1e9) : 0;
    Loop_run(loop, &source, consumer, agg, end_ns);
    if (ProcessSet_count(live->set) && ProcessSet_detach(live->set, 2 * NS_PER_S))
        live->status.message = "some threads did not stop in time; the kernel detaches them";
    if (consumer->stop)
        consumer->stop(consumer->self);
    status = final_status(live);
out:
    Launch_done(&live->launch);
    ProcessSet_delete(live->set);
    if (live->timer_fd >= 0)
        close(live->timer_fd);
    Loop_delete(loop);
    free(live->command);
    free(live->python);
    free(live->python_problem);
    free(live->not_sampled_text);
    free(live->skipped_text);
    free(live->skipped_given);
    free(live->thread_cpu);
    free(live->process_cpu);
    return status;
}
