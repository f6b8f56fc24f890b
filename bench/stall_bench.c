/* The stall benchmark: what one sample costs the process being sampled,
 * and where the tracer's time per sample goes.
 *
 * Method. stall_probe recurses to a given depth and then reads
 * CLOCK_MONOTONIC in a tight loop, logging every gap between two reads
 * longer than 2 us: time in which that thread did not run. For each depth
 * three runs of the same length follow the same 100 Hz schedule (the same
 * jittered tick times, relative to the run's start):
 *   none    the ticks come and nothing is done: the machine's own noise;
 *   spytop  each tick is one Sampler_tick (stop, registers + stack copy,
 *           resume), then Unwinder_unwind and Symbolizer_lookup on the copy;
 *   naive   each tick stops the thread and unwinds it live through
 *           libunwind-ptrace's stock _UPT accessors before continuing it.
 * The probe and the benchmark share CLOCK_MONOTONIC, so each gap can be
 * laid against the tracer's own timeline.
 *
 * The stall of a sample is the total length of the probe's gaps that
 * overlap the tick's window, from just before the tick starts stopping
 * threads to just after its last resume returned. A gap is counted whole,
 * also the part after the resume (the thread still has to be scheduled
 * again), so this is everything the thread lost around its stop; what it
 * leaves out is noise elsewhere in the 10 ms, which has nothing to do with
 * the sample. The "none" run shows what chance alone puts into such a
 * window: there the window is as long as the spytop run's median window.
 *
 * A second, noise-inclusive figure is printed beside it: each tick owns the
 * time from 1 ms before it to 1 ms before the next tick, and the longest gap
 * starting there is its "period max". On a quiet machine both agree; on a
 * noisy VM the period max mostly measures the VM.
 *
 * usage: stall_bench [-p PROBE] [-d DEPTH,...] [-t SECONDS] [-n SECONDS]
 *                    [-r HZ] [-s SUMMARY_FILE] [-l LOG_FILE] */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "images.h"
#include "naive_sampler.h"
#include "proc.h"
#include "tracer.h"
#include "sampler.h"
#include "symbolizer.h"
#include "symtab.h"
#include "unwinder.h"
#include "util.h"

#define NS_PER_US UINT64_C(1000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define MAX_DEPTHS 8
#define PERIOD_LEAD_NS (1 * NS_PER_MS)
#define SETTLE_NS (20 * NS_PER_MS)
#define TAIL_MARGIN_NS (60 * NS_PER_MS)
#define READY_TIMEOUT_MS 10000
#define RESULT_TIMEOUT_MS 10000
#define DETACH_TIMEOUT_NS (500 * NS_PER_MS)
#define JITTER_NS (500 * NS_PER_US)
#define GOAL_MEDIAN_NS (40 * NS_PER_US)
#define GOAL_P99_NS (300 * NS_PER_US)

typedef enum Mode {
    MODE_NONE,
    MODE_SPYTOP,
    MODE_NAIVE,
    MODE_COUNT,
} Mode;

static const char *const mode_names[MODE_COUNT] = {"none (baseline)", "spytop", "naive _UPT"};
static const char *const mode_keys[MODE_COUNT] = {"none", "spytop", "naive"};

typedef struct Config {
    const char *probe;
    int depths[MAX_DEPTHS];
    size_t depth_count;
    uint64_t run_ns;   /* none and spytop runs */
    uint64_t naive_ns; /* naive runs: fewer samples fit anyway */
    unsigned rate_hz;
    const char *summary_path;
    const char *log_path;
} Config;

typedef struct Tick {
    uint64_t start_ns, end_ns; /* around the stopping part of the sample */
    bool sampled;
    uint64_t latency_ns, copied_ns, resume_ns, stopped_ns;
    uint64_t unwind_ns, unwind_full_ns, symbolize_ns;
    size_t stack_len;
    size_t frames;
    UnwindEnd end;
} Tick;

typedef struct Gap {
    uint64_t start_ns, length_ns;
} Gap;

typedef struct Run {
    Mode mode;
    int depth;
    Tick *ticks;
    size_t tick_count, tick_cap;
    size_t skipped; /* ticks that came while the previous sample still ran */
    size_t failed;  /* ticks without a usable sample */
    Gap *gaps;
    size_t gap_count, gap_cap;
    uint64_t probe_loops;
    size_t probe_dropped;
    uint64_t steal_ms;    /* time the hypervisor ran something else, all CPUs */
    uint64_t *stalls;     /* one per tick: the gaps overlapping its window */
    uint64_t *period_max; /* one per tick: the longest gap in its period */
    size_t early;         /* ticks whose stall began before the tick did */
    bool left_traced;
} Run;

typedef struct Probe {
    pid_t pid;
    int fd; /* the probe's stdout */
    uint64_t start_ns;
    char buf[4096];
    size_t len, pos;
} Probe;

/* What the spytop runs use: the core modules, wired as a session would. */
typedef struct Spytop {
    Images *images;
    Unwinder *unwinder;
    Unwinder *full_unwinder; /* the baseline: never reuses a walk */
    Symtab *symtab;
    Symbolizer *symbolizer;
    Tracer *tracer;
    Sampler *sampler;
    UnwoundFrame *frames;
} Spytop;

/* ---- statistics ---- */

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct Stat {
    size_t n;
    uint64_t median, p99, max;
} Stat;

/* Nearest-rank percentiles; sorts values in place. */
static Stat
stat_of(uint64_t *values, size_t n)
{
    Stat s = {.n = n};
    if (n == 0)
        return s;
    qsort(values, n, sizeof(*values), compare_u64);
    s.median = values[(n - 1) / 2];
    size_t rank = (n * 99 + 99) / 100; /* ceil(0.99 n) */
    s.p99 = values[rank - 1];
    s.max = values[n - 1];
    return s;
}

typedef uint64_t (*TickField)(const Tick *tick);

/* The field over the sampled ticks, skipping the first skip of them. */
static Stat
tick_stat(const Run *run, TickField field, size_t skip)
{
    uint64_t *values = xcalloc(run->tick_count, sizeof(*values));
    size_t n = 0, seen = 0;
    for (size_t i = 0; i < run->tick_count; i++) {
        if (!run->ticks[i].sampled || seen++ < skip)
            continue;
        values[n++] = field(&run->ticks[i]);
    }
    Stat s = stat_of(values, n);
    free(values);
    return s;
}

static uint64_t
field_latency(const Tick *t)
{
    return t->latency_ns;
}

static uint64_t
field_copied(const Tick *t)
{
    return t->copied_ns;
}

static uint64_t
field_resume(const Tick *t)
{
    return t->resume_ns;
}

static uint64_t
field_held(const Tick *t)
{
    return t->latency_ns + t->stopped_ns;
}

static uint64_t
field_unwind(const Tick *t)
{
    return t->unwind_ns;
}

static uint64_t
field_unwind_full(const Tick *t)
{
    return t->unwind_full_ns;
}

static uint64_t
field_symbolize(const Tick *t)
{
    return t->symbolize_ns;
}

static uint64_t
field_stack_len(const Tick *t)
{
    return t->stack_len;
}

static uint64_t
field_frames(const Tick *t)
{
    return t->frames;
}

static double
us(uint64_t ns)
{
    return (double)ns / (double)NS_PER_US;
}

static double
ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

/* ---- the probe process ---- */

static Tick *
new_tick(Run *run)
{
    if (run->tick_count == run->tick_cap) {
        run->tick_cap = run->tick_cap ? run->tick_cap * 2 : 1024;
        run->ticks = xreallocarray(run->ticks, run->tick_cap, sizeof(*run->ticks));
    }
    Tick *tick = &run->ticks[run->tick_count++];
    memset(tick, 0, sizeof(*tick));
    return tick;
}

static void
add_gap(Run *run, uint64_t start_ns, uint64_t length_ns)
{
    if (run->gap_count == run->gap_cap) {
        run->gap_cap = run->gap_cap ? run->gap_cap * 2 : 4096;
        run->gaps = xreallocarray(run->gaps, run->gap_cap, sizeof(*run->gaps));
    }
    run->gaps[run->gap_count++] = (Gap){start_ns, length_ns};
}

/* Waits up to timeout_ms for the next line from the probe, which is
 * copied into out (NUL-terminated, newline kept). 0, -ETIMEDOUT, or -EIO at
 * the end of the output or for a line too long. */
static int
read_line(Probe *probe, char *out, size_t size, int timeout_ms)
{
    for (;;) {
        char *line = probe->buf + probe->pos;
        char *nl = memchr(line, '\n', probe->len - probe->pos);
        if (nl) {
            size_t n = (size_t)(nl - line) + 1;
            size_t copy = n < size ? n : size - 1;
            memcpy(out, line, copy);
            out[copy] = '\0';
            probe->pos += n;
            return 0;
        }
        memmove(probe->buf, line, probe->len - probe->pos);
        probe->len -= probe->pos;
        probe->pos = 0;
        if (probe->len == sizeof(probe->buf))
            return -EIO;
        struct pollfd pfd = {.fd = probe->fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return -ETIMEDOUT;
        if (r < 0)
            return -errno;
        ssize_t got = read(probe->fd, probe->buf + probe->len, sizeof(probe->buf) - probe->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -EIO;
        probe->len += (size_t)got;
    }
}

static int
probe_start(const char *path, int depth, uint64_t run_ns, Probe *probe)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "stall_bench: pipe2: %s\n", strerror(errno));
        return -1;
    }
    char depth_arg[16], millis_arg[24];
    snprintf(depth_arg, sizeof(depth_arg), "%d", depth);
    snprintf(millis_arg, sizeof(millis_arg), "%" PRIu64, run_ns / NS_PER_MS);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "stall_bench: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* The probe must not outlive the benchmark. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(127);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execl(path, path, depth_arg, millis_arg, (char *)NULL);
        fprintf(stderr, "stall_bench: cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    probe->pid = pid;
    probe->fd = fds[0];
    probe->len = probe->pos = 0;
    char line[128];
    int probe_pid;
    if (read_line(probe, line, sizeof(line), READY_TIMEOUT_MS) < 0 ||
        sscanf(line, "ready %d %" SCNu64, &probe_pid, &probe->start_ns) != 2 ||
        probe_pid != (int)pid) {
        fprintf(stderr, "stall_bench: %s did not get ready\n", path);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(probe->fd);
        return -1;
    }
    return 0;
}

/* Before the probe is let go: nobody may still trace it. */
static void
probe_check_untraced(const Probe *probe, Run *run)
{
    int tracer = Proc_tracer_pid(probe->pid);
    if (tracer > 0) {
        fprintf(stderr, "stall_bench: WARNING: probe %d has TracerPid %d after detaching\n",
                (int)probe->pid, tracer);
        run->left_traced = true;
    }
}

/* Reads the probe's gaps, then reaps it; kills it by PID if it does not
 * end by itself. 0 or -1. */
static int
probe_finish(Probe *probe, Run *run)
{
    char line[128];
    int ok = 0;
    for (;;) {
        if (read_line(probe, line, sizeof(line), RESULT_TIMEOUT_MS) < 0) {
            fprintf(stderr, "stall_bench: probe %d: no complete report\n", (int)probe->pid);
            ok = -1;
            break;
        }
        uint64_t a, b;
        size_t gaps;
        int depth;
        if (sscanf(line, "gap %" SCNu64 " %" SCNu64, &a, &b) == 2)
            add_gap(run, a, b);
        else if (sscanf(line, "probe %d %" SCNu64 " %zu %zu", &depth, &run->probe_loops, &gaps,
                        &run->probe_dropped) == 4)
            continue;
        else if (strcmp(line, "end\n") == 0)
            break;
    }
    close(probe->fd);
    int status;
    pid_t r = waitpid(probe->pid, &status, WNOHANG);
    for (int i = 0; r == 0 && i < 200; i++) {
        struct timespec ts = {0, 10 * NS_PER_MS};
        nanosleep(&ts, NULL);
        r = waitpid(probe->pid, &status, WNOHANG);
    }
    if (r == 0) {
        fprintf(stderr, "stall_bench: probe %d did not exit; killing it\n", (int)probe->pid);
        kill(probe->pid, SIGKILL);
        waitpid(probe->pid, &status, 0);
        ok = -1;
    } else if (r == probe->pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stderr, "stall_bench: probe %d ended abnormally (status 0x%x)\n", (int)probe->pid,
                status);
        ok = -1;
    }
    return ok;
}

/* ---- the samplers ---- */

static int
spytop_open(Spytop *s, pid_t pid)
{
    char *cause = NULL;
    memset(s, 0, sizeof(*s));
    s->images = Images_new(pid);
    int r = Images_refresh(s->images);
    if (r < 0) {
        fprintf(stderr, "stall_bench: Images_refresh: %s\n", strerror(-r));
        return -1;
    }
    s->unwinder = Unwinder_new(s->images, UNWIND_MEMO_ON, &cause);
    if (!s->unwinder)
        goto fail;
    s->full_unwinder = Unwinder_new(s->images, UNWIND_MEMO_OFF, &cause);
    if (!s->full_unwinder)
        goto fail;
    s->symtab = Symtab_new();
    s->symbolizer = Symbolizer_new(pid, s->symtab, &cause);
    if (!s->symbolizer)
        goto fail;
    s->tracer = Tracer_new(pid);
    r = Tracer_seize(s->tracer, pid);
    if (r == 0)
        r = Tracer_sync_threads(s->tracer);
    if (r < 0) {
        fprintf(stderr, "stall_bench: cannot trace the probe: %s\n", strerror(-r));
        return -1;
    }
    SamplerOptions options = {
        .stack_max = SAMPLER_STACK_DEFAULT_MAX,
        .deadline_ns = 10 * NS_PER_MS,
        .detach = false,
    };
    s->sampler = Sampler_new(s->tracer, pid, &options);
    s->frames = xcalloc(UNWIND_MAX_DEPTH, sizeof(*s->frames));
    return 0;
fail:
    fprintf(stderr, "stall_bench: %s\n", cause ? cause : "set-up failed");
    free(cause);
    return -1;
}

/* Detaches (when attached) and frees; 0 when no thread was left attached. */
static size_t
spytop_close(Spytop *s)
{
    size_t left = 0;
    if (s->tracer)
        left = Tracer_detach_all(s->tracer, DETACH_TIMEOUT_NS);
    Sampler_delete(s->sampler);
    Tracer_delete(s->tracer);
    Symbolizer_delete(s->symbolizer);
    Symtab_delete(s->symtab);
    Unwinder_delete(s->unwinder);
    Unwinder_delete(s->full_unwinder);
    Images_delete(s->images);
    free(s->frames);
    memset(s, 0, sizeof(*s));
    return left;
}

/* One spytop sample: the stopping part, then unwind and symbols after the
 * thread runs again, each timed. -errno when the target is gone. */
static int
spytop_sample(Spytop *s, pid_t pid, Tick *tick)
{
    SamplerTickStats stats;
    int r = Sampler_tick(s->sampler, &stats);
    tick->end_ns = Util_now_ns();
    if (r < 0)
        return r;
    const Snapshot *snap = NULL;
    for (size_t i = 0; i < Sampler_snapshot_count(s->sampler); i++)
        if (Sampler_snapshot(s->sampler, i)->tid == pid)
            snap = Sampler_snapshot(s->sampler, i);
    if (!snap || snap->status != SAMPLE_OK)
        return 0;
    tick->sampled = true;
    tick->latency_ns = snap->latency_ns;
    tick->copied_ns = snap->copied_ns;
    tick->stopped_ns = snap->stopped_ns;
    tick->resume_ns = snap->stopped_ns - snap->copied_ns;
    tick->stack_len = snap->stack_len;

    UnwindResult result;
    uint64_t t0 = Util_now_ns();
    Unwinder_unwind(s->unwinder, snap, s->frames, UNWIND_MAX_DEPTH, &result);
    uint64_t t1 = Util_now_ns();
    Sampler_stack_used(s->sampler, snap->tid, result.stack_used, result.ran_out);
    uint64_t t2 = Util_now_ns();
    for (size_t i = 0; i < result.count; i++) {
        SymbolizedPc sym;
        Symbolizer_lookup(s->symbolizer, s->frames[i].pc, s->frames[i].exact, &sym);
    }
    uint64_t t3 = Util_now_ns();
    /* The same snapshot walked in full, as without the walk memo. */
    UnwindResult full;
    Unwinder_unwind(s->full_unwinder, snap, s->frames, UNWIND_MAX_DEPTH, &full);
    tick->unwind_full_ns = Util_now_ns() - t3;
    tick->unwind_ns = t1 - t0;
    tick->symbolize_ns = t3 - t2;
    tick->frames = result.count;
    tick->end = result.end;
    return 0;
}

static int
naive_sample(NaiveSampler *naive, Tick *tick)
{
    NaiveSample sample;
    int r = NaiveSampler_tick(naive, &sample);
    tick->end_ns = Util_now_ns();
    if (r < 0)
        return r;
    tick->sampled = true;
    tick->latency_ns = sample.latency_ns;
    tick->copied_ns = sample.unwind_ns; /* what the thread is held for */
    tick->resume_ns = sample.resume_ns;
    tick->stopped_ns = sample.stopped_ns;
    tick->frames = sample.frames;
    return 0;
}

/* Steal time of all CPUs so far (/proc/stat), in ms; 0 when unknown. */
static uint64_t
steal_now_ms(void)
{
    char text[512];
    if (Util_read_small_file("/proc/stat", text, sizeof(text)) < 0)
        return 0;
    unsigned long long f[8];
    if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3],
               &f[4], &f[5], &f[6], &f[7]) != 8)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? f[7] * 1000 / (uint64_t)hz : 0;
}

/* ---- one run ---- */

/* A small deterministic generator, so every run of a depth gets the same
 * jittered schedule. */
static uint64_t
next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static void
sleep_until(uint64_t t_ns)
{
    struct timespec ts = {(time_t)(t_ns / NS_PER_S), (long)(t_ns % NS_PER_S)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Per tick: the gaps that overlap its window [start_ns, end_ns], and the
 * longest gap starting in its period. Gaps are in time order and never
 * overlap each other, so their ends are in order too. */
static void
compute_stalls(Run *run, uint64_t period_ns)
{
    size_t n = run->tick_count ? run->tick_count : 1;
    run->stalls = xcalloc(n, sizeof(*run->stalls));
    run->period_max = xcalloc(n, sizeof(*run->period_max));
    size_t w = 0, g = 0;
    for (size_t k = 0; k < run->tick_count; k++) {
        const Tick *tick = &run->ticks[k];
        while (w < run->gap_count &&
               run->gaps[w].start_ns + run->gaps[w].length_ns < tick->start_ns)
            w++;
        uint64_t sum = 0;
        for (size_t i = w; i < run->gap_count && run->gaps[i].start_ns <= tick->end_ns; i++)
            sum += run->gaps[i].length_ns;
        run->stalls[k] = sum;
        if (sum > 0 && run->gaps[w].start_ns < tick->start_ns)
            run->early++;

        uint64_t lo = tick->start_ns - PERIOD_LEAD_NS;
        uint64_t hi = k + 1 < run->tick_count ? run->ticks[k + 1].start_ns - PERIOD_LEAD_NS
                                              : tick->start_ns + period_ns - PERIOD_LEAD_NS;
        while (g < run->gap_count && run->gaps[g].start_ns < lo)
            g++;
        uint64_t longest = 0;
        for (size_t i = g; i < run->gap_count && run->gaps[i].start_ns < hi; i++)
            if (run->gaps[i].length_ns > longest)
                longest = run->gaps[i].length_ns;
        run->period_max[k] = longest;
    }
}

/* The median window of the sampled ticks of a run. */
static uint64_t
median_window(const Run *run)
{
    uint64_t *values = xcalloc(run->tick_count + 1, sizeof(*values));
    size_t n = 0;
    for (size_t k = 0; k < run->tick_count; k++)
        if (run->ticks[k].sampled)
            values[n++] = run->ticks[k].end_ns - run->ticks[k].start_ns;
    uint64_t median = n ? stat_of(values, n).median : 0;
    free(values);
    return median;
}

/* The baseline's ticks get the windows a sampled run had, then every run's
 * stalls are computed. */
static void
analyze_depth(Run *runs, uint64_t period_ns)
{
    uint64_t window = median_window(&runs[MODE_SPYTOP]);
    Run *none = &runs[MODE_NONE];
    for (size_t k = 0; k < none->tick_count; k++)
        none->ticks[k].end_ns = none->ticks[k].start_ns + window;
    for (int m = 0; m < MODE_COUNT; m++)
        compute_stalls(&runs[m], period_ns);
}

static int
run_once(const Config *cfg, Mode mode, int depth, Run *run)
{
    memset(run, 0, sizeof(*run));
    run->mode = mode;
    run->depth = depth;
    uint64_t run_ns = mode == MODE_NAIVE ? cfg->naive_ns : cfg->run_ns;
    uint64_t period_ns = NS_PER_S / cfg->rate_hz;

    Probe probe;
    uint64_t steal_before = steal_now_ms();
    if (probe_start(cfg->probe, depth, run_ns, &probe) < 0)
        return -1;
    Spytop spytop = {0};
    NaiveSampler *naive = NULL;
    int failed = 0;
    if (mode == MODE_SPYTOP) {
        failed = spytop_open(&spytop, probe.pid);
    } else if (mode == MODE_NAIVE) {
        char *cause = NULL;
        naive = NaiveSampler_new(probe.pid, &cause);
        if (!naive) {
            fprintf(stderr, "stall_bench: %s\n", cause);
            free(cause);
            failed = -1;
        }
    }

    /* Same schedule for every run of this depth, relative to its start. */
    uint64_t first = Util_now_ns() + SETTLE_NS;
    uint64_t last = probe.start_ns + run_ns - TAIL_MARGIN_NS;
    uint64_t rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)depth;
    for (uint64_t k = 0; !failed; k++) {
        uint64_t jitter = next_random(&rng) % (2 * JITTER_NS + 1);
        uint64_t due = first + k * period_ns + jitter - JITTER_NS;
        if (due > last)
            break;
        if (due < Util_now_ns()) {
            run->skipped++; /* a late tick is skipped, not queued */
            continue;
        }
        sleep_until(due);
        Tick *tick = new_tick(run);
        tick->start_ns = Util_now_ns();
        int r = 0;
        if (mode == MODE_SPYTOP)
            r = spytop_sample(&spytop, probe.pid, tick);
        else if (mode == MODE_NAIVE)
            r = naive_sample(naive, tick);
        else
            tick->end_ns = tick->start_ns;
        if (r < 0) {
            fprintf(stderr, "stall_bench: sampling failed: %s\n", strerror(-r));
            failed = -1;
        } else if (mode != MODE_NONE && !tick->sampled) {
            run->failed++;
        }
    }

    if (mode == MODE_SPYTOP && spytop_close(&spytop) > 0)
        fprintf(stderr, "stall_bench: some threads were not detached explicitly\n");
    NaiveSampler_delete(naive);
    probe_check_untraced(&probe, run);
    if (probe_finish(&probe, run) < 0)
        failed = -1;
    run->steal_ms = steal_now_ms() - steal_before;
    return failed;
}

static void
run_done(Run *run)
{
    free(run->ticks);
    free(run->gaps);
    free(run->stalls);
    free(run->period_max);
    memset(run, 0, sizeof(*run));
}

/* ---- report ---- */

static void
summary_put(FILE *summary, const char *key, double value)
{
    if (summary)
        fprintf(summary, "%s %.1f\n", key, value);
}

static Stat
stall_stat(const Run *run, bool period)
{
    uint64_t *copy = xcalloc(run->tick_count + 1, sizeof(*copy));
    memcpy(copy, period ? run->period_max : run->stalls, run->tick_count * sizeof(*copy));
    Stat st = stat_of(copy, run->tick_count);
    free(copy);
    return st;
}

static void
print_stalls(const Config *cfg, Run runs[][MODE_COUNT], FILE *summary)
{
    printf("\n== 1. Stall the target sees per sample (stall_probe, %u Hz) ==\n", cfg->rate_hz);
    printf("stall_probe logs every gap > 2 us between its CLOCK_MONOTONIC reads. A sample's\n"
           "stall = the gaps overlapping the tick's window (tick start .. last resume\n"
           "returned), each counted whole, up to when the thread ran again. 'none' puts a\n"
           "window as long as spytop's median one on each of its ticks: what noise alone\n"
           "adds. 'period max' = the longest gap in the 10 ms around each tick, noise\n"
           "included. 'steal' = ms the hypervisor took from this VM's CPUs during the run\n"
           "(a host hiccup freezes tracer and target alike and lands in p99).\n"
           "'vs naive' = spytop's stall / the naive sampler's.\n\n");
    printf("%6s  %-16s %6s %5s %6s | %9s %9s %9s | %10s %9s | %s\n", "frames", "sampler", "ticks",
           "late", "steal", "median us", "p99 us", "max us", "period max", "p99 us", "vs naive");
    for (size_t d = 0; d < cfg->depth_count; d++) {
        Stat st[MODE_COUNT], pm[MODE_COUNT];
        for (int m = 0; m < MODE_COUNT; m++) {
            st[m] = stall_stat(&runs[d][m], false);
            pm[m] = stall_stat(&runs[d][m], true);
        }
        for (int m = 0; m < MODE_COUNT; m++) {
            Run *run = &runs[d][m];
            printf("%6d  %-16s %6zu %5zu %6" PRIu64 " | %9.1f %9.1f %9.1f | %10.1f %9.1f |",
                   cfg->depths[d], mode_names[m], st[m].n, run->skipped + run->failed,
                   run->steal_ms, us(st[m].median), us(st[m].p99), us(st[m].max), us(pm[m].median),
                   us(pm[m].p99));
            if (m == MODE_SPYTOP)
                printf(" median %.3fx, p99 %.3fx", ratio(st[m].median, st[MODE_NAIVE].median),
                       ratio(st[m].p99, st[MODE_NAIVE].p99));
            if (run->probe_dropped)
                printf(" (%zu gaps dropped)", run->probe_dropped);
            printf("\n");
            static const char *const names[] = {"median_us", "p99_us", "max_us", "period_median_us",
                                                "period_p99_us"};
            double values[] = {us(st[m].median), us(st[m].p99), us(st[m].max), us(pm[m].median),
                               us(pm[m].p99)};
            for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char key[64];
                snprintf(key, sizeof(key), "stall.%d.%s.%s", cfg->depths[d], mode_keys[m],
                         names[i]);
                summary_put(summary, key, values[i]);
            }
        }
    }
    printf("\nspytop stalls that began before the tick's first step (the thread was already off\n"
           "its CPU when the sampler woke up: often the sampler's own wake-up preempting it):\n");
    for (size_t d = 0; d < cfg->depth_count; d++)
        printf("  %d frames: %zu of %zu", cfg->depths[d], runs[d][MODE_SPYTOP].early,
               runs[d][MODE_SPYTOP].tick_count);
    printf("\n");
    for (size_t d = 0; d < cfg->depth_count; d++) {
        Stat none = stall_stat(&runs[d][MODE_NONE], false);
        if (none.median > 0) {
            printf("WARNING: at %d frames the no-sampling run alone stalled in half its windows:\n"
                   "the machine is busy, so these numbers say more about it than about spytop.\n",
                   cfg->depths[d]);
            break;
        }
    }
    printf("\nGoal from the issue: spytop's median stall <= %.0f us and p99 <= %.0f us,\n"
           "the same at every depth:\n",
           us(GOAL_MEDIAN_NS), us(GOAL_P99_NS));
    Stat first = {0};
    for (size_t d = 0; d < cfg->depth_count; d++) {
        Stat st = stall_stat(&runs[d][MODE_SPYTOP], false);
        bool median_ok = st.n > 0 && st.median <= GOAL_MEDIAN_NS;
        bool p99_ok = st.n > 0 && st.p99 <= GOAL_P99_NS;
        printf("  %4d frames: median %7.1f us %-7s  p99 %7.1f us %-7s", cfg->depths[d],
               us(st.median), median_ok ? "MET" : "NOT MET", us(st.p99),
               p99_ok ? "MET" : "NOT MET");
        if (d == 0) {
            first = st;
            printf("\n");
        } else {
            printf("  (vs %d frames: median %.2fx, p99 %.2fx)\n", cfg->depths[0],
                   ratio(st.median, first.median), ratio(st.p99, first.p99));
        }
        char key[64];
        snprintf(key, sizeof(key), "goal.stall.%d.median", cfg->depths[d]);
        summary_put(summary, key, median_ok);
        snprintf(key, sizeof(key), "goal.stall.%d.p99", cfg->depths[d]);
        summary_put(summary, key, p99_ok);
    }
}

typedef struct SplitRow {
    const char *label;
    Mode mode;
    TickField field;
    size_t skip;
    bool bytes;
    const char *key;
} SplitRow;

static void
print_split(const Config *cfg, Run runs[][MODE_COUNT], FILE *summary)
{
    static const SplitRow rows[] = {
        {"interrupt -> stopped", MODE_SPYTOP, field_latency, 0, false, "latency"},
        {"registers + stack copy", MODE_SPYTOP, field_copied, 0, false, "copy"},
        {"resume (PTRACE_CONT)", MODE_SPYTOP, field_resume, 0, false, "resume"},
        {"= held, tracer's view", MODE_SPYTOP, field_held, 0, false, "held"},
        {"  stack bytes copied", MODE_SPYTOP, field_stack_len, 0, true, "stack_bytes"},
        {"unwind (after resume)", MODE_SPYTOP, field_unwind, 0, false, "unwind"},
        {"  same, every walk in full", MODE_SPYTOP, field_unwind_full, 0, false, "unwind_full"},
        {"symbolize (after resume)", MODE_SPYTOP, field_symbolize, 1, false, "symbolize"},
        {"  frames unwound", MODE_SPYTOP, field_frames, 0, true, "frames"},
        {"naive: interrupt -> stopped", MODE_NAIVE, field_latency, 0, false, "latency"},
        {"naive: unwind while stopped", MODE_NAIVE, field_copied, 0, false, "unwind"},
        {"naive: resume", MODE_NAIVE, field_resume, 0, false, "resume"},
        {"naive: = held, tracer's view", MODE_NAIVE, field_held, 0, false, "held"},
        {"  frames unwound", MODE_NAIVE, field_frames, 0, true, "frames"},
    };
    printf("\n== 2. Tracer-side split per sample (us unless noted; median / p99) ==\n");
    printf("spytop rows time the modules directly: Snapshot.latency_ns, .copied_ns,\n"
           ".stopped_ns - .copied_ns, then Unwinder_unwind and Symbolizer_lookup (all frames)\n"
           "while the target runs again. Symbolize excludes the first (cold) sample, shown\n"
           "apart. The naive rows are the same steps with the unwind inside the stop.\n\n");
    printf("%-30s", "step");
    for (size_t d = 0; d < cfg->depth_count; d++) {
        char head[32];
        snprintf(head, sizeof(head), "%d frames", cfg->depths[d]);
        printf(" %21s", head);
    }
    printf("\n");
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        printf("%-30s", rows[i].label);
        for (size_t d = 0; d < cfg->depth_count; d++) {
            Stat st = tick_stat(&runs[d][rows[i].mode], rows[i].field, rows[i].skip);
            char cell[48];
            if (rows[i].bytes)
                snprintf(cell, sizeof(cell), "%" PRIu64 " / %" PRIu64, st.median, st.p99);
            else
                snprintf(cell, sizeof(cell), "%.1f / %.1f", us(st.median), us(st.p99));
            printf(" %21s", cell);
            char key[96];
            snprintf(key, sizeof(key), "split.%d.%s.%s.median", cfg->depths[d],
                     mode_keys[rows[i].mode], rows[i].key);
            summary_put(summary, key, rows[i].bytes ? (double)st.median : us(st.median));
            snprintf(key, sizeof(key), "split.%d.%s.%s.p99", cfg->depths[d],
                     mode_keys[rows[i].mode], rows[i].key);
            summary_put(summary, key, rows[i].bytes ? (double)st.p99 : us(st.p99));
        }
        printf("\n");
    }
    printf("%-30s", "symbolize, first sample (cold)");
    for (size_t d = 0; d < cfg->depth_count; d++) {
        const Run *run = &runs[d][MODE_SPYTOP];
        uint64_t cold = 0;
        for (size_t k = 0; k < run->tick_count; k++)
            if (run->ticks[k].sampled) {
                cold = run->ticks[k].symbolize_ns;
                break;
            }
        char cell[32];
        snprintf(cell, sizeof(cell), "%.1f", us(cold));
        printf(" %21s", cell);
    }
    printf("\n%-30s", "spytop unwinds not complete");
    for (size_t d = 0; d < cfg->depth_count; d++) {
        const Run *run = &runs[d][MODE_SPYTOP];
        size_t sampled = 0, incomplete = 0;
        for (size_t k = 0; k < run->tick_count; k++) {
            sampled += run->ticks[k].sampled;
            incomplete += run->ticks[k].sampled && run->ticks[k].end != UNWIND_COMPLETE;
        }
        char cell[32];
        snprintf(cell, sizeof(cell), "%zu of %zu", incomplete, sampled);
        printf(" %21s", cell);
    }
    printf("\n");
}

/* One line per tick, for a closer look at outliers. */
static int
write_log(const Config *cfg, Run runs[][MODE_COUNT])
{
    FILE *f = fopen(cfg->log_path, "w");
    if (!f) {
        fprintf(stderr, "stall_bench: %s: %s\n", cfg->log_path, strerror(errno));
        return -1;
    }
    fprintf(f, "# depth mode tick start_ns window_ns stall_ns period_max_ns sampled latency_ns "
               "copied_ns resume_ns unwind_ns symbolize_ns frames\n"
               "# depth mode gap start_ns length_ns\n");
    for (size_t d = 0; d < cfg->depth_count; d++) {
        for (int m = 0; m < MODE_COUNT; m++) {
            const Run *run = &runs[d][m];
            for (size_t k = 0; k < run->tick_count; k++) {
                const Tick *t = &run->ticks[k];
                fprintf(f,
                        "%d %s %zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %" PRIu64
                        " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %zu\n",
                        cfg->depths[d], mode_keys[m], k, t->start_ns, t->end_ns - t->start_ns,
                        run->stalls[k], run->period_max[k], t->sampled, t->latency_ns, t->copied_ns,
                        t->resume_ns, t->unwind_ns, t->symbolize_ns, t->frames);
            }
            for (size_t i = 0; i < run->gap_count; i++)
                fprintf(f, "%d %s gap %" PRIu64 " %" PRIu64 "\n", cfg->depths[d], mode_keys[m],
                        run->gaps[i].start_ns, run->gaps[i].length_ns);
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- main ---- */

static int
parse_depths(const char *text, Config *cfg)
{
    cfg->depth_count = 0;
    char *copy = xstrdup(text);
    int r = 0;
    for (char *save = NULL, *part = strtok_r(copy, ",", &save); part;
         part = strtok_r(NULL, ",", &save)) {
        char *end;
        long v = strtol(part, &end, 10);
        if (*end != '\0' || v < 1 || v > 10000 || cfg->depth_count == MAX_DEPTHS) {
            r = -1;
            break;
        }
        cfg->depths[cfg->depth_count++] = (int)v;
    }
    free(copy);
    return r == 0 && cfg->depth_count > 0 ? 0 : -1;
}

static int
parse_seconds(const char *text, uint64_t *out)
{
    char *end;
    double v = strtod(text, &end);
    if (*end != '\0' || !(v >= 0.5 && v <= 600))
        return -1;
    *out = (uint64_t)(v * (double)NS_PER_S);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: stall_bench [-p PROBE] [-d DEPTH,...] [-t SECONDS] [-n SECONDS] "
               "[-r HZ] [-s SUMMARY_FILE] [-l LOG_FILE]\n"
               "  -p  the stall_probe program (default: stall_probe next to this program)\n"
               "  -d  stack depths (default 20,200)\n"
               "  -t  length of the baseline and spytop runs (default 8)\n"
               "  -n  length of the naive runs (default 4)\n"
               "  -r  sampling rate (default 100)\n"
               "  -s  also write 'key value' lines to this file\n"
               "  -l  also write one line per tick to this file\n");
}

static char *
default_probe(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    if (!slash)
        return xstrdup("./stall_probe");
    return xasprintf("%.*s/stall_probe", (int)(slash - argv0), argv0);
}

int
main(int argc, char **argv)
{
    Config cfg = {
        .depths = {20, 200},
        .depth_count = 2,
        .run_ns = 8 * NS_PER_S,
        .naive_ns = 4 * NS_PER_S,
        .rate_hz = 100,
    };
    char *probe_path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "p:d:t:n:r:s:l:h")) != -1) {
        switch (opt) {
        case 'p':
            free(probe_path);
            probe_path = xstrdup(optarg);
            break;
        case 'd':
            if (parse_depths(optarg, &cfg) < 0) {
                usage(stderr);
                return 64;
            }
            break;
        case 't':
        case 'n':
            if (parse_seconds(optarg, opt == 't' ? &cfg.run_ns : &cfg.naive_ns) < 0) {
                usage(stderr);
                return 64;
            }
            break;
        case 'r': {
            long v = strtol(optarg, NULL, 10);
            if (v < 1 || v > 1000) {
                usage(stderr);
                return 64;
            }
            cfg.rate_hz = (unsigned)v;
            break;
        }
        case 's':
            cfg.summary_path = optarg;
            break;
        case 'l':
            cfg.log_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 64;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 64;
    }
    if (!probe_path)
        probe_path = default_probe(argv[0]);
    cfg.probe = probe_path;
    setvbuf(stdout, NULL, _IOLBF, 0);

    FILE *summary = NULL;
    if (cfg.summary_path) {
        summary = fopen(cfg.summary_path, "w");
        if (!summary) {
            fprintf(stderr, "stall_bench: %s: %s\n", cfg.summary_path, strerror(errno));
            free(probe_path);
            return 2;
        }
    }

    Run runs[MAX_DEPTHS][MODE_COUNT];
    memset(runs, 0, sizeof(runs));
    int status = 0;
    for (size_t d = 0; d < cfg.depth_count && status == 0; d++) {
        for (int m = 0; m < MODE_COUNT; m++) {
            printf("stall: %d frames, %s ...\n", cfg.depths[d], mode_names[m]);
            if (run_once(&cfg, (Mode)m, cfg.depths[d], &runs[d][m]) < 0) {
                fprintf(stderr, "stall_bench: the %s run at depth %d failed\n", mode_names[m],
                        cfg.depths[d]);
                status = 2;
                break;
            }
            if (runs[d][m].left_traced)
                status = 1;
        }
        if (status != 2)
            analyze_depth(runs[d], NS_PER_S / cfg.rate_hz);
    }
    if (status != 2) {
        print_stalls(&cfg, runs, summary);
        print_split(&cfg, runs, summary);
        if (cfg.log_path && write_log(&cfg, runs) < 0)
            status = 2;
    }
    for (size_t d = 0; d < cfg.depth_count; d++)
        for (int m = 0; m < MODE_COUNT; m++)
            run_done(&runs[d][m]);
    if (summary && fclose(summary) != 0 && status == 0)
        status = 2;
    free(probe_path);
    return status;
}
