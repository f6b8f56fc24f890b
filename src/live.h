/* The live session loop behind `spytop -p PID` and `spytop -- COMMAND`:
 * one poll() loop over a timerfd (sampling ticks, jittered, late ticks
 * skipped), a signalfd (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT,
 * SIGWINCH, SIGCHLD) and the view's input. Samples go to an Aggregator that
 * the view reads; the view draws and handles keys. A tracee that stops
 * between ticks (a signal for it) is restarted as soon as SIGCHLD arrives. */
#ifndef SPYTOP_SRC_LIVE_H
#define SPYTOP_SRC_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregator.h"
#include "symtab.h"
#include "unwinder.h"

typedef struct LiveStatus {
    pid_t pid;
    const char *command; /* the target's command line (raw bytes) */
    bool launched;       /* spytop started it */
    bool attached;
    bool exited;     /* the target exited */
    int exit_status; /* its wait status, when known */
    bool exit_known;
    size_t threads, running, sleeping, stopped;
    double target_cpu_pct; /* over the last second, may exceed 100 */
    double spytop_cpu_pct;
    unsigned rate_hz;       /* asked */
    double rate_reached_hz; /* over the last second */
    /* errors: samples that failed (registers unreadable); late: threads
     * that did not stop within the deadline (a busy machine), apart. */
    uint64_t ticks, samples, errors, late, skipped_ticks;
    uint64_t stop_median_ns, stop_p99_ns; /* per thread sample, recent */
    uint64_t stop_max_ns;                 /* the longest stop since the start */
    uint64_t elapsed_ns;
    uint64_t now_ns;
    const char *message;        /* a one-line notice, or NULL */
    const char *python;         /* "CPython 3.11.7" when Python frames are read */
    const char *replay;         /* viewing a recording: its timeline, one line */
    double gil_pct;             /* ticks in which a thread held the GIL, recent */
    uint64_t python_mismatches; /* samples whose Python and native frames did not line up */
} LiveStatus;

typedef enum LiveAction {
    LIVE_CONTINUE,
    LIVE_QUIT,
    LIVE_SUSPEND, /* Ctrl-Z: detach, stop spytop, re-attach on SIGCONT */
} LiveAction;

/* What a view provides. self is passed back to every call. */
typedef struct LiveView {
    void *self;
    int input_fd; /* polled for input, or -1 */
    uint64_t redraw_interval_ns;
    /* Input is ready on input_fd. */
    LiveAction (*on_input)(void *self, Aggregator *agg);
    /* Periodic redraw, and once more after the target exited. */
    LiveAction (*draw)(void *self, const LiveStatus *status, Aggregator *agg);
    void (*on_resize)(void *self);
    /* Called once attached (a full-screen view takes the terminal here), and
     * once at the end, before spytop prints anything more. */
    int (*start)(void *self, const LiveStatus *status); /* 0, or -1 (a message was
                                                         * printed): spytop detaches */
    void (*stop)(void *self);
    /* Give the terminal back before spytop stops itself, take it again after. */
    void (*suspend)(void *self);
    void (*resume)(void *self);
    /* Whether to keep running after the target exited (until the user quits). */
    bool linger_after_exit;
} LiveView;

/* Where every sample goes besides the aggregator (the recorder). */
typedef struct LiveSink {
    void *self;
    /* Each thread sample as taken (symtab: where its ids live). */
    void (*sample)(void *self, const Sample *sample, const Symtab *symtab);
    /* A thread's name, when first seen and when it changes. */
    void (*thread_name)(void *self, pid_t tid, const char *name, uint64_t t_ns);
} LiveSink;

typedef struct LiveOptions {
    pid_t pid;                  /* attach to this, or */
    char *const *command;       /* launch this (NULL-terminated) */
    const char *command_output; /* file for the command's output, or NULL */
    bool command_output_null;   /* discard its output (a full-screen view) */
    unsigned rate_hz;
    double duration_s; /* 0: until quit or exit */
    const pid_t *only_tids;
    size_t only_tid_count;
    size_t stack_bytes;
    size_t max_depth;
    bool native;
    bool no_python;
    UnwindMemo unwind_memo;
    unsigned attach_delay_ms; /* fault injection for tests (SessionOptions) */
    int nice;                 /* spytop's own, once the command is launched */
    bool nice_given;
    const LiveSink *sink; /* NULL: none */
} LiveOptions;

/* Runs until the view quits, the duration ends or (for views that do not
 * linger) the target exits. Returns an exit status (options.h: EXIT_*; with
 * a launched command, the command's own exit status). Errors before the
 * view starts are printed to stderr as one line. */
int Live_run(const LiveOptions *options, LiveView *view, Aggregator *agg, Symtab *symtab);

#endif
