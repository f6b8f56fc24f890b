#include "config.h"

#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exit_codes.h"
#include "hashindex.h"
#include "launch.h"
#include "outfile.h"
#include "proc.h"
#include "recwriter.h"
#include "util.h"

#define RECORD_FLUSH_NS (1000u * 1000 * 1000)

typedef struct PendingProcess {
    pid_t pid;
    bool gone;
    char *command;
    uint64_t t_ns;
} PendingProcess;

typedef struct Recorder {
    const RecordOptions *options;
    RecWriter *writer;
    char *path;
    bool progress; /* stderr is a terminal */
    bool failed;
    uint64_t started_ns;
    time_t started;
    pid_t pid;             /* the target, once attached */
    char target_ended[96]; /* "target exited (...)", once it has */
    RunStatus last;        /* at the last flush: the rate reached, ticks skipped */
    char *not_sampled;     /* the last threads that could not be attached, named */
    int scratch_fd;        /* until the writer takes it */
    /* Processes followed or let go before the writer was opened, written
     * as soon as it is. */
    struct PendingProcess *pending;
    size_t n_pending, pending_cap;
    HashIndex followed; /* every pid announced, once: how many processes */
    Consumer consumer;
    LiveSink sink;
} Recorder;

char *
Record_default_name(pid_t pid, time_t when, const char *suffix)
{
    char stamp[32];
    struct tm tm;
    localtime_r(&when, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    return xasprintf("spytop-%d-%s%s", (int)pid, stamp, suffix);
}

static uint64_t
clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Opened once attached: the name needs the pid of a launched command. */
static int
recorder_start(void *self, const RunStatus *status)
{
    Recorder *r = self;
    r->started = time(NULL);
    r->pid = status->pid;
    r->path = r->options->output ? xstrdup(r->options->output)
                                 : Record_default_name(status->pid, r->started, ".spytop");
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char *exe = Proc_exe(status->pid);
    RecHeader header = {
        .pid = status->pid,
        .command = status->command,
        .exe = exe ? exe : "",
        .host = host,
        .start_unix_ns = clock_ns(CLOCK_REALTIME),
        .start_mono_ns = clock_ns(CLOCK_MONOTONIC),
        .rate_hz = status->rate_hz,
        /* Microseconds are plenty at sampling rates, and a quarter smaller. */
        .time_unit_ns = 1000,
    };
    char *cause = NULL;
    if (r->options->scratch) {
        r->writer = RecWriter_open_fd(r->scratch_fd, r->path, &header, &cause);
        r->scratch_fd = -1; /* the writer's now, even when it failed */
    } else {
        r->writer = RecWriter_open(r->path, r->options->force, &header, &cause);
    }
    free(exe);
    if (!r->writer) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(cause ? cause : "cannot create the recording", stderr);
        fputc('\n', stderr);
        free(cause);
        return -1;
    }
    r->started_ns = Util_now_ns();
    for (size_t i = 0; i < r->n_pending; i++) {
        const PendingProcess *p = &r->pending[i];
        if (p->gone)
            RecWriter_process_gone(r->writer, p->pid, p->t_ns);
        else
            RecWriter_process(r->writer, p->pid, p->command, p->t_ns);
    }
    return 0;
}

static void
print_progress(Recorder *r, const RunStatus *s, bool final)
{
    double mib = (double)RecWriter_bytes(r->writer) / (1024.0 * 1024.0);
    fprintf(stderr, "\r\033[Kspytop: recording PID %d to ", (int)s->pid);
    Util_fputs_escaped(r->path, stderr);
    fprintf(stderr, ": %.1f s, %llu samples, %.2f MiB, %.1f Hz%s", (double)s->elapsed_ns / 1e9,
            (unsigned long long)RecWriter_samples(r->writer), mib, s->rate_reached_hz,
            final ? "\n" : "");
    fflush(stderr);
}

/* The rate reached over the whole recording and the ticks skipped; a
 * warning when it fell well short of the rate asked (a busy machine, many
 * threads: fewer samples, coarser figures). */
static void
print_rate(const RunStatus *s)
{
    if (!s->elapsed_ns || !s->rate_hz)
        return;
    double reached = (double)s->ticks * 1e9 / (double)s->elapsed_ns;
    fprintf(stderr, "spytop: %llu ticks at %.1f Hz of %u Hz asked, %llu skipped (late)\n",
            (unsigned long long)s->ticks, reached, s->rate_hz,
            (unsigned long long)s->skipped_ticks);
    if (reached < 0.8 * s->rate_hz)
        fprintf(stderr,
                "spytop: warning: the rate reached is %.0f%% of the rate asked: the machine was "
                "busy or the target has many threads; ask a lower rate (-r) for even sampling\n",
                100.0 * reached / s->rate_hz);
}

static ConsumerAction
recorder_flush(void *self, const RunStatus *status, Aggregator *agg)
{
    (void)agg;
    Recorder *r = self;
    if (status->exited && !r->target_ended[0]) {
        char how[64] = "";
        if (status->exit_known)
            Launch_describe_exit(status->exit_status, how, sizeof(how));
        snprintf(r->target_ended, sizeof(r->target_ended), "target exited%s%s%s",
                 how[0] ? " (" : "", how, how[0] ? ")" : "");
    }
    r->last = *status;
    if (status->not_sampled_text &&
        (!r->not_sampled || strcmp(r->not_sampled, status->not_sampled_text) != 0)) {
        free(r->not_sampled);
        r->not_sampled = xstrdup(status->not_sampled_text);
    }
    r->last.not_sampled_text = NULL; /* borrowed from the run; r->not_sampled outlives it */
    r->last.message = NULL;
    if (RecWriter_flush(r->writer) < 0) {
        r->failed = true;
        return CONSUMER_QUIT; /* the file stays valid up to its last chunk */
    }
    if (r->progress)
        print_progress(r, status, false);
    return CONSUMER_CONTINUE;
}

static void
recorder_sample(void *self, const Sample *sample, const Symtab *symtab)
{
    Recorder *r = self;
    if (r->writer && !r->failed && RecWriter_add_sample(r->writer, symtab, sample) < 0)
        r->failed = RecWriter_error(r->writer) != NULL;
}

static void
recorder_thread_name(void *self, pid_t tid, const char *name, uint64_t t_ns)
{
    Recorder *r = self;
    if (r->writer && !r->failed)
        RecWriter_thread_name(r->writer, tid, name, t_ns);
}

static void
recorder_process_mark(Recorder *r, pid_t pid, bool gone, const char *command, uint64_t t_ns)
{
    if (!gone)
        HashIndex_intern(&r->followed, (uint32_t)pid, (uint32_t)r->followed.count, NULL, NULL);
    if (r->failed)
        return;
    if (r->writer) {
        if (gone)
            RecWriter_process_gone(r->writer, pid, t_ns);
        else
            RecWriter_process(r->writer, pid, command, t_ns);
        return;
    }
    r->pending = xgrow(r->pending, &r->pending_cap, r->n_pending + 1, sizeof(PendingProcess));
    r->pending[r->n_pending++] =
        (PendingProcess){pid, gone, gone ? NULL : xstrdup(command ? command : ""), t_ns};
}

static void
recorder_process(void *self, pid_t pid, const char *command, uint64_t t_ns)
{
    recorder_process_mark(self, pid, false, command, t_ns);
}

static void
recorder_process_gone(void *self, pid_t pid, uint64_t t_ns)
{
    recorder_process_mark(self, pid, true, NULL, t_ns);
}

/* A bad -o found before the target is touched. */
static bool
output_ok(const RecordOptions *options)
{
    char *cause = NULL;
    if (options->scratch || !options->output ||
        Outfile_check_new(options->output, options->force, &cause))
        return true;
    fputs("spytop: ", stderr);
    Util_fputs_escaped(cause, stderr);
    fputc('\n', stderr);
    free(cause);
    return false;
}

/* " of 3 processes" when the recording holds several, else "". */
static void
processes_text(const Recorder *r, char *buf, size_t size)
{
    buf[0] = '\0';
    if (r->followed.count > 1)
        snprintf(buf, size, " of %zu processes", r->followed.count);
}

/* The end's summary: what was written, or why the recording is short. */
static void
print_summary(const Recorder *r, uint64_t samples, uint64_t bytes, double seconds)
{
    char processes[48];
    processes_text(r, processes, sizeof(processes));
    if (r->target_ended[0]) {
        /* Said with or without a terminal: why the recording is short. */
        fprintf(stderr, "spytop: %s; recording ends there", r->target_ended);
        if (!r->options->scratch) {
            fputs(": ", stderr);
            Util_fputs_escaped(r->path, stderr);
        }
        fprintf(stderr, " (%llu samples%s)\n", (unsigned long long)samples, processes);
    } else if (!r->options->scratch) {
        /* With or without a terminal, as perf record does: a recording
         * that silently reached a tenth of its rate misleads later. (A
         * scratch recording's export says what was written.) */
        fputs("spytop: wrote ", stderr);
        Util_fputs_escaped(r->path, stderr);
        fprintf(stderr, ": %.1f s, %llu samples%s, %llu bytes (%.1f bytes a sample)\n", seconds,
                (unsigned long long)samples, processes, (unsigned long long)bytes,
                samples ? (double)bytes / (double)samples : 0.0);
    }
}

int
Record_run(const RecordOptions *options, Aggregator *agg, Symtab *symtab, RecordResult *result)
{
    Recorder r = {
        .options = options,
        .progress = isatty(STDERR_FILENO),
        .scratch_fd = options->scratch ? options->scratch_fd : -1,
    };
    RecordResult res = {.pid = options->live.pid};
    int status = EXIT_FATAL;
    if (!output_ok(options))
        goto out;
    r.consumer = (Consumer){
        .self = &r,
        .input_fd = -1,
        .period_ns = RECORD_FLUSH_NS,
        .update = recorder_flush,
        .start = recorder_start,
        .linger_after_exit = false,
    };
    r.sink = (LiveSink){
        .self = &r,
        .sample = recorder_sample,
        .thread_name = recorder_thread_name,
        .process = recorder_process,
        .process_gone = recorder_process_gone,
    };
    LiveOptions live = options->live;
    live.sink = &r.sink;
    status = Live_run(&live, &r.consumer, agg, symtab);
    if (!r.writer) {
        if (status == EXIT_OK)
            status = EXIT_FATAL;
        goto out;
    }
    res.opened = true;
    res.pid = r.pid;
    res.started = r.started;
    res.seconds = (double)(Util_now_ns() - r.started_ns) / 1e9;
    res.samples = RecWriter_samples(r.writer);
    res.processes = r.followed.count;
    uint64_t bytes = RecWriter_bytes(r.writer);
    if (r.progress)
        fputs("\r\033[K", stderr);
    char *cause = NULL;
    if (RecWriter_close(r.writer, &cause) < 0 || r.failed) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(cause ? cause : "writing the recording failed", stderr);
        fputs("; the file holds what was written before\n", stderr);
        free(cause);
        res.failed = true;
        status = EXIT_FATAL;
    } else {
        print_summary(&r, res.samples, bytes, res.seconds);
    }
    if (status != EXIT_FATAL)
        print_rate(&r.last);
    if (r.not_sampled) {
        fputs("spytop: warning: ", stderr);
        Util_fputs_escaped(r.not_sampled, stderr);
        fputc('\n', stderr);
    }
out:
    HashIndex_done(&r.followed);
    for (size_t i = 0; i < r.n_pending; i++)
        free(r.pending[i].command);
    free(r.pending);
    free(r.not_sampled);
    if (r.scratch_fd >= 0)
        close(r.scratch_fd); /* never given to a writer */
    free(r.path);
    if (result)
        *result = res;
    return status;
}
