#include "config.h"

#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator.h"
#include "exit_codes.h"
#include "loop.h"
#include "recreader.h"
#include "util.h"

#define NS_PER_S 1000000000ull
#define SEEK_NS (5 * NS_PER_S)
#define PLAY_REDRAW_NS (100u * 1000 * 1000)

typedef struct Replay {
    RecReader *reader;
    Symtab *symtab;
    Aggregator *agg;
    const Sample *samples;
    size_t count;
    uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC of the recording's ends */
    uint64_t from_ns, to_ns;   /* the selected range */
    uint64_t weight_ns;        /* one sample's time: the interval */
    bool playing;
    uint64_t cursor_ns; /* playback position */
    uint64_t play_wall_ns, play_cursor_ns;
    size_t fed;        /* samples fed during playback */
    unsigned *density; /* samples per timeline column, for density_width */
    int density_width;
    unsigned density_most;
    RunStatus status;
    char describe[256];
    Sample *own; /* with --pid: that process's samples (samples points here) */
    pid_t pid;   /* the process shown; 0: all */
    char *command;
    Timeline timeline;
} Replay;

static size_t
first_at_or_after(const Replay *r, uint64_t t)
{
    size_t lo = 0, hi = r->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->samples[mid].t_ns < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The figures of the selected range, from scratch. */
static void
feed_range(Replay *r)
{
    Aggregator_reset(r->agg);
    for (size_t i = first_at_or_after(r, r->from_ns); i < r->count; i++) {
        if (r->samples[i].t_ns >= r->to_ns)
            break;
        Aggregator_add(r->agg, &r->samples[i], r->weight_ns);
    }
    Aggregator_advance(r->agg, r->to_ns);
}

/* Playback: everything up to the cursor; the window before it counts. */
static void
feed_to_cursor(Replay *r, bool from_scratch)
{
    if (from_scratch) {
        Aggregator_reset(r->agg);
        r->fed = first_at_or_after(r, r->from_ns);
    }
    while (r->fed < r->count && r->samples[r->fed].t_ns <= r->cursor_ns)
        Aggregator_add(r->agg, &r->samples[r->fed++], r->weight_ns);
    Aggregator_advance(r->agg, r->cursor_ns);
}

static double
seconds(const Replay *r, uint64_t t)
{
    return (double)(t - r->start_ns) / 1e9;
}

static void
describe(Replay *r)
{
    const RecStatus *st = RecReader_status(r->reader);
    if (r->playing || r->cursor_ns)
        snprintf(r->describe, sizeof(r->describe),
                 "Recording of %.1f s: %s at %.1f s (window before it)%s", seconds(r, r->end_ns),
                 r->playing ? "playing" : "paused", seconds(r, r->cursor_ns),
                 st->complete ? "" : "  [recovered part of a damaged file]");
    else
        snprintf(r->describe, sizeof(r->describe),
                 "Recording of %.1f s: showing %.1f s to %.1f s%s", seconds(r, r->end_ns),
                 seconds(r, r->from_ns), seconds(r, r->to_ns),
                 st->complete ? "" : "  [recovered part of a damaged file]");
    r->status.replay = r->describe;
}

static const unsigned *
density(void *self, int width, unsigned *most, int *range_lo, int *range_hi, int *cursor)
{
    Replay *r = self;
    uint64_t span = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 1;
    if (width != r->density_width) {
        /* Counted once per width, not at every redraw of a playback. */
        free(r->density);
        r->density = xcalloc((size_t)width, sizeof(unsigned));
        r->density_width = width;
        r->density_most = 1;
        for (size_t i = 0; i < r->count; i++) {
            uint64_t t = r->samples[i].t_ns;
            if (t < r->start_ns)
                continue;
            size_t col = (size_t)((t - r->start_ns) * (uint64_t)width / (span + 1));
            if (col < (size_t)width && ++r->density[col] > r->density_most)
                r->density_most = r->density[col];
        }
    }
    *most = r->density_most;
    *range_lo = (int)((r->from_ns - r->start_ns) * (uint64_t)width / (span + 1));
    *range_hi = (int)((r->to_ns - r->start_ns) * (uint64_t)width / (span + 1));
    *cursor = r->playing || r->cursor_ns
                  ? (int)((r->cursor_ns - r->start_ns) * (uint64_t)width / (span + 1))
                  : -1;
    return r->density;
}

static uint64_t
clamp_time(const Replay *r, int64_t t)
{
    if (t < (int64_t)r->start_ns)
        return r->start_ns;
    if ((uint64_t)t > r->end_ns)
        return r->end_ns;
    return (uint64_t)t;
}

static void
seek(Replay *r, int64_t delta)
{
    uint64_t before = r->cursor_ns ? r->cursor_ns : r->from_ns;
    r->cursor_ns = clamp_time(r, (int64_t)before + delta);
    r->play_cursor_ns = r->cursor_ns;
    r->play_wall_ns = Util_now_ns();
    feed_to_cursor(r, true);
}

static void
timeline_act(void *self, TimelineAction action)
{
    Replay *r = self;
    int64_t step = (int64_t)((r->end_ns - r->start_ns) / 20);
    if (step < 1)
        step = 1;
    switch (action) {
    case TIMELINE_START_BACK:
    case TIMELINE_START_FORWARD:
        r->from_ns =
            clamp_time(r, (int64_t)r->from_ns + (action == TIMELINE_START_BACK ? -step : step));
        break;
    case TIMELINE_END_BACK:
    case TIMELINE_END_FORWARD:
        r->to_ns = clamp_time(r, (int64_t)r->to_ns + (action == TIMELINE_END_BACK ? -step : step));
        if (r->to_ns <= r->from_ns)
            r->to_ns = r->from_ns + (uint64_t)step;
        break;
    case TIMELINE_WHOLE:
        r->from_ns = r->start_ns;
        r->to_ns = r->end_ns + 1;
        break;
    case TIMELINE_PLAY_PAUSE:
        if (!r->playing && !r->cursor_ns)
            r->cursor_ns = r->from_ns;
        r->playing = !r->playing;
        r->play_cursor_ns = r->cursor_ns;
        r->play_wall_ns = Util_now_ns();
        if (r->playing)
            feed_to_cursor(r, true);
        describe(r);
        return;
    case TIMELINE_SEEK_BACK:
    case TIMELINE_SEEK_FORWARD:
        seek(r, action == TIMELINE_SEEK_BACK ? -(int64_t)SEEK_NS : (int64_t)SEEK_NS);
        describe(r);
        return;
    }
    /* The range stays inside the recording, at least a step wide where
     * the recording allows (moving one end may not push the other out). */
    if (r->to_ns > r->end_ns + 1)
        r->to_ns = r->end_ns + 1;
    if (r->from_ns >= r->to_ns || r->to_ns - r->from_ns < (uint64_t)step)
        r->from_ns =
            r->to_ns > r->start_ns + (uint64_t)step ? r->to_ns - (uint64_t)step : r->start_ns;
    /* A range key leaves playback. */
    r->playing = false;
    r->cursor_ns = 0;
    feed_range(r);
    describe(r);
}

static bool
timeline_cumulative(void *self)
{
    Replay *r = self;
    return !r->playing && !r->cursor_ns;
}

static void
fill_status(Replay *r)
{
    const RecHeader *h = RecReader_header(r->reader);
    size_t nthreads;
    RecReader_threads(r->reader, &nthreads);
    if (r->pid)
        nthreads = RecReader_process(r->reader, r->pid)->threads;
    RunStatus *s = &r->status;
    s->pid = r->pid ? r->pid : h->pid;
    /* The header counts them when there are several. */
    RecReader_processes(r->reader, &s->processes);
    if (r->pid)
        s->processes = 1;
    s->processes_seen = s->processes;
    s->command = r->command;
    s->threads = nthreads;
    s->rate_hz = h->rate_hz;
    s->samples = r->count;
    s->elapsed_ns = r->end_ns - r->start_ns;
    s->exited = false;
    s->timeline = &r->timeline;
    describe(r);
    const RecStatus *st = RecReader_status(r->reader);
    s->message = st->complete ? NULL : st->message;
}

/* Names of threads for the threads panel. */
static void
name_threads(Replay *r)
{
    size_t n;
    const RecThread *threads = RecReader_threads(r->reader, &n);
    for (size_t i = 0; i < n; i++)
        if (!r->pid || threads[i].pid == r->pid)
            Aggregator_name_thread(r->agg, threads[i].tid, threads[i].name);
    /* And processes, for the processes panel. */
    const RecProcess *processes = RecReader_processes(r->reader, &n);
    for (size_t i = 0; i < n; i++)
        if (!r->pid || processes[i].pid == r->pid)
            Aggregator_name_process(r->agg, processes[i].pid, processes[i].command);
}

/* Playback moves the cursor with the clock, before each update. */
static void
play(void *self)
{
    Replay *r = self;
    if (!r->playing)
        return;
    r->cursor_ns = r->play_cursor_ns + (Util_now_ns() - r->play_wall_ns);
    if (r->cursor_ns >= r->end_ns) {
        r->cursor_ns = r->end_ns;
        r->playing = false;
    }
    feed_to_cursor(r, false);
    describe(r);
}

/* A recording changes by itself only while it plays. */
static uint64_t
play_period_ns(void *self)
{
    Replay *r = self;
    return r->playing ? PLAY_REDRAW_NS : LOOP_NO_PERIOD;
}

static int
run(Replay *r, Consumer *consumer)
{
    char *cause = NULL;
    Loop *loop = Loop_new(&cause);
    if (!loop) {
        fprintf(stderr, "spytop: %s\n", cause);
        free(cause);
        return EXIT_FATAL;
    }
    if (consumer->start(consumer->self, &r->status) < 0) {
        Loop_delete(loop);
        return EXIT_FATAL;
    }
    LoopSource source = {
        .self = r,
        .status = &r->status,
        .fd = -1,
        .refresh = play,
        .period_ns = play_period_ns,
    };
    Loop_run(loop, &source, consumer, r->agg, 0);
    consumer->stop(consumer->self);
    Loop_delete(loop);
    return EXIT_OK;
}

/* The samples shown: all of them, or with a pid that process's. */
static void
choose_samples(Replay *r)
{
    r->samples = RecReader_samples(r->reader, &r->count);
    if (!r->pid)
        return;
    r->own = xreallocarray(NULL, r->count ? r->count : 1, sizeof(Sample));
    size_t k = 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->samples[i].pid == r->pid)
            r->own[k++] = r->samples[i];
    r->samples = r->own;
    r->count = k;
}

int
View_run(const char *path, pid_t pid, Symtab *symtab, Consumer *consumer)
{
    Replay r;
    memset(&r, 0, sizeof(r));
    r.symtab = symtab;
    char *cause = NULL;
    r.reader = RecReader_open(path, r.symtab, &cause);
    if (!r.reader) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(cause ? cause : "cannot read the recording", stderr);
        fputc('\n', stderr);
        free(cause);
        return EXIT_FATAL;
    }
    char *no_process = pid ? RecReader_no_process(r.reader, path, pid) : NULL;
    if (no_process) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(no_process, stderr);
        fputc('\n', stderr);
        free(no_process);
        RecReader_delete(r.reader);
        return EXIT_FATAL;
    }
    const RecHeader *h = RecReader_header(r.reader);
    const RecStatus *st = RecReader_status(r.reader);
    r.pid = pid;
    choose_samples(&r);
    r.start_ns = h->start_mono_ns;
    r.end_ns = h->start_mono_ns + st->duration_ns;
    r.from_ns = r.start_ns;
    r.to_ns = r.end_ns + 1;
    r.weight_ns = NS_PER_S / (h->rate_hz ? h->rate_hz : 100);
    if (pid && pid != h->pid)
        r.command = xstrdup(Symtab_string(symtab, RecReader_process(r.reader, pid)->command));
    else
        r.command = xstrdup(h->command ? h->command : "");
    r.agg = Aggregator_new(r.symtab);
    name_threads(&r);
    feed_range(&r);
    r.timeline = (Timeline){
        .self = &r, .density = density, .act = timeline_act, .cumulative = timeline_cumulative};
    fill_status(&r);
    int status = run(&r, consumer);
    /* After the screen is given back: what could not be read. */
    bool complete = st->complete;
    if (!complete) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(st->message, stderr);
        fputc('\n', stderr);
    }
    Aggregator_delete(r.agg);
    RecReader_delete(r.reader);
    free(r.command);
    free(r.own);
    free(r.density);
    return status == EXIT_OK && !complete ? EXIT_PARTIAL : status;
}
