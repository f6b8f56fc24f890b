/* The one event loop of the commands that run until stopped: the live
 * session (live.c: `spytop -p PID`, --batch, record) and the view of a
 * recording (view.c). One poll() over a signalfd (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGTSTP, SIGCONT, SIGWINCH, SIGCHLD), the source's own file
 * descriptor (the live sampling timer) and the consumer's input. The
 * source brings the figures up to date, the consumer (consumer.h) shows
 * them once per period and after each key. Ctrl-Z or SIGTSTP: the source
 * lets go of the target, the consumer of the terminal, spytop stops, and
 * both take them again on SIGCONT. */
#ifndef SPYTOP_SRC_LOOP_H
#define SPYTOP_SRC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregator.h"
#include "consumer.h"

/* A source's period that means: update only after an event (a key). */
#define LOOP_NO_PERIOD UINT64_MAX

/* What feeds the aggregator and the status. self is passed back to every
 * call; a NULL callback does nothing. */
typedef struct LoopSource {
    void *self;
    RunStatus *status;            /* what the consumer is shown; status->exited ends a
                                   * consumer that does not linger */
    int fd;                       /* polled for the source's own events, or -1 */
    void (*on_ready)(void *self); /* fd is readable */
    void (*on_child)(void *self); /* SIGCHLD: a tracee stopped or exited */
    /* Brings the status and the aggregator up to now, before each update. */
    void (*refresh)(void *self);
    /* Between two updates: 0 for the consumer's period, LOOP_NO_PERIOD. */
    uint64_t (*period_ns)(void *self);
    /* Ctrl-Z: let go of the target before spytop stops; take it again. */
    void (*suspend)(void *self);
    void (*resume)(void *self);
} LoopSource;

typedef struct Loop Loop;

/* Blocks the signals above and opens the signalfd that reads them: from
 * now on they are handled by Loop_run, also when they arrive before it.
 * NULL and *cause on error. */
Loop *Loop_new(char **cause);
/* Closes the signalfd and gives the signal mask back as it was. */
void Loop_delete(Loop *loop);

/* Updates the consumer, then runs until the consumer quits, a signal ends
 * the run, end_ns (CLOCK_MONOTONIC; 0: none) passes or, for a consumer
 * that does not linger, the target exits. A consumer that does not linger
 * is updated once more at the end when time or a signal ended the run.
 * The consumer was started by the caller, who also stops it. */
void Loop_run(Loop *loop, LoopSource *source, Consumer *consumer, Aggregator *agg, uint64_t end_ns);

#endif
