/* The live session behind `spytop -p PID` and `spytop -- COMMAND`, as a
 * source of the event loop (loop.h): sampling ticks from a timerfd
 * (jittered, late ticks skipped), a tracee that stops between ticks (a
 * signal for it) restarted as soon as SIGCHLD arrives, the target let go
 * of on Ctrl-Z and seized again after. Samples go to an Aggregator that the
 * consumer (consumer.h) reads; the consumer draws, prints or flushes, and
 * handles keys. */
#ifndef SPYTOP_SRC_LIVE_H
#define SPYTOP_SRC_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregator.h"
#include "consumer.h"
#include "symtab.h"
#include "session.h"

/* Where every sample goes besides the aggregator (the recorder). */
typedef struct LiveSink {
    void *self;
    /* Each thread sample as taken (symtab: where its ids live). */
    void (*sample)(void *self, const Sample *sample, const Symtab *symtab);
    /* A thread's name, when first seen and when it changes. */
    void (*thread_name)(void *self, pid_t tid, const char *name, uint64_t t_ns);
    /* A process, when first followed (its command line, maybe ""), before
     * any sample of it; and when it is let go (exited, or not followed any
     * more). With one target, called once for it. NULL: not wanted. */
    void (*process)(void *self, pid_t pid, const char *command, uint64_t t_ns);
    void (*process_gone)(void *self, pid_t pid, uint64_t t_ns);
} LiveSink;

typedef struct LiveOptions {
    pid_t pid;         /* attach to this (or those below), or */
    const pid_t *pids; /* -p PID,PID,...: attach to each (pid_count > 1) */
    size_t pid_count;
    bool subprocesses;          /* --subprocesses: and every descendant */
    char *const *command;       /* launch this (NULL-terminated) */
    const char *command_output; /* file for the command's output, or NULL */
    bool command_output_null;   /* discard its output (a full-screen view) */
    unsigned rate_hz;
    double duration_s;      /* 0: until quit or exit */
    SessionOptions session; /* what is sampled, and how */
    int nice;               /* spytop's own, once the command is launched */
    bool nice_given;
    const LiveSink *sink; /* NULL: none */
} LiveOptions;

/* Runs until the consumer quits, the duration ends or (for consumers that
 * do not linger) the target exits. Returns an exit status (exit_codes.h: EXIT_*; with
 * a launched command, the command's own exit status). Errors before the
 * consumer starts are printed to stderr as one line. */
int Live_run(const LiveOptions *options, Consumer *consumer, Aggregator *agg, Symtab *symtab);

#endif
