/* What the live loop (live.h) and the view of a recording hand the figures
 * to, once per period and after each key: a Consumer. The ncurses screen
 * draws them, --batch prints a table, the recorder flushes its file. It
 * sees a RunStatus and the aggregator, never the session: a live target
 * and a replayed recording look the same to it. */
#ifndef SPYTOP_SRC_CONSUMER_H
#define SPYTOP_SRC_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregator.h"

/* What a user can do with a recording's timeline (the keys are the
 * consumer's). */
typedef enum TimelineAction {
    TIMELINE_START_BACK, /* the range's start a twentieth of the recording back */
    TIMELINE_START_FORWARD,
    TIMELINE_END_BACK, /* its end */
    TIMELINE_END_FORWARD,
    TIMELINE_WHOLE, /* the whole recording */
    TIMELINE_PLAY_PAUSE,
    TIMELINE_SEEK_BACK, /* the play cursor 5 s back */
    TIMELINE_SEEK_FORWARD,
} TimelineAction;

/* A recording's timeline, for a consumer that shows one (the screen): the
 * view of a recording (view.c) provides it in RunStatus. */
typedef struct Timeline {
    void *self;
    /* Samples per column when the recording is shown in width columns (an
     * array of width counts, kept by the timeline until the next call), the
     * largest count, the columns of the selected range and the play
     * cursor's (-1: none). */
    const unsigned *(*density)(void *self, int width, unsigned *most, int *range_lo, int *range_hi,
                               int *cursor);
    /* Moves the range or the playback; the figures change. */
    void (*act)(void *self, TimelineAction action);
    /* Whether the figures cover the whole selected range (true) or the
     * window before the play cursor (false). */
    bool (*cumulative)(void *self);
} Timeline;

/* The run as a consumer shows it: the target, the sampler's figures, or the
 * recording being viewed. The strings are borrowed for the run. */
typedef struct RunStatus {
    pid_t pid;
    const char *command; /* the target's command line (raw bytes) */
    bool launched;       /* spytop started it */
    bool attached;
    bool exited;     /* the target exited */
    bool ended;      /* -d ran out: the target let go, the last figures kept */
    int exit_status; /* its wait status, when known */
    bool exit_known;
    size_t threads, running, sleeping, stopped;
    /* Processes followed now (several with -p PID,PID or --subprocesses;
     * viewing a recording, those shown: all it holds, or the one of
     * --pid), and those that could not be. */
    size_t processes, processes_skipped;
    size_t processes_seen;              /* followed since the start, those gone too */
    const char *processes_skipped_text; /* one line naming them, or NULL */
    double target_cpu_pct;              /* over the last second, may exceed 100 */
    double spytop_cpu_pct;
    unsigned rate_hz;       /* asked */
    double rate_reached_hz; /* over the last second */
    /* errors: samples that failed (registers unreadable); late: threads
     * that did not stop within the deadline (a busy machine), apart. */
    uint64_t ticks, samples, errors, late, skipped_ticks;
    uint64_t stop_median_ns, stop_p99_ns; /* per thread sample, recent */
    uint64_t stop_max_ns;                 /* the longest stop since the start */
    size_t stopped_per_tick;              /* threads stopped per tick, median, recent */
    size_t late_threads;                  /* in the last tick: did not stop in time */
    uint64_t elapsed_ns;
    uint64_t now_ns;
    const char *message;          /* a one-line notice, or NULL */
    size_t not_sampled;           /* threads that could not be attached (another tracer) */
    const char *not_sampled_text; /* one line naming them and why, or NULL */
    const char *python;           /* "CPython 3.11.7" when Python frames are read */
    const char *replay;           /* viewing a recording: its timeline, one line */
    const Timeline *timeline;     /* viewing a recording; NULL live */
    double gil_pct;               /* ticks in which a thread held the GIL, recent */
    uint64_t python_mismatches;   /* samples whose Python and native frames did not line up */
} RunStatus;

typedef enum ConsumerAction {
    CONSUMER_CONTINUE,
    CONSUMER_QUIT,
    CONSUMER_SUSPEND, /* Ctrl-Z: let go of the target, stop spytop, take it again on SIGCONT */
} ConsumerAction;

/* A consumer's callbacks; self is passed back to every call. */
typedef struct Consumer {
    void *self;
    int input_fd;       /* polled for input, or -1 */
    uint64_t period_ns; /* between two updates */
    /* Input is ready on input_fd. */
    ConsumerAction (*on_input)(void *self, Aggregator *agg);
    /* The figures changed: draw, print or flush them. Once per period, after
     * a key, and once more after the target exited. */
    ConsumerAction (*update)(void *self, const RunStatus *status, Aggregator *agg);
    void (*on_resize)(void *self);
    /* Called once attached (a full-screen consumer takes the terminal here),
     * and once at the end, before spytop prints anything more. */
    int (*start)(void *self, const RunStatus *status); /* 0, or -1 (a message was
                                                        * printed): spytop detaches */
    void (*stop)(void *self);
    /* Give the terminal back before spytop stops itself, take it again after. */
    void (*suspend)(void *self);
    void (*resume)(void *self);
    /* Whether to keep running after the target exited (until the user quits). */
    bool linger_after_exit;
    /* Whether idle samples are shown (asked before each tick): when not,
     * threads that are not running are left alone, not stopped (see
     * Sampler_leave_sleepers). NULL: always (a recording keeps them). */
    bool (*wants_idle)(void *self);
    /* Whether a running asyncio task's time goes under the tasks awaiting
     * it (--async, the live view's a key), asked before each tick; NULL:
     * as the command line said. */
    bool (*wants_async)(void *self);
} Consumer;

#endif
