/* What the sampler takes from one stopped thread: registers and a copy of
 * the top of its stack. Everything after (unwinding, symbols) works on this
 * copy while the thread runs again. */
#ifndef SPYTOP_SRC_SNAPSHOT_H
#define SPYTOP_SRC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"
#include "sample.h" /* SampleStatus */

struct PyRawStack;

/* What the session made of a sleeping thread's snapshot (the sample and
 * its frames), kept by the sampler with the thread so that while the
 * snapshot is reused the session hands out the same sample again instead
 * of unwinding it again. Owned by the sampler (freed when the thread's slot
 * goes, at the start of a later tick), written by the session through the
 * snapshot's pointer. Made under one generation of the target's mappings:
 * when they change, the snapshot is symbolized again. */
typedef struct SnapshotMemo {
    bool valid;
    unsigned generation;
    Sample sample;
    TraceFrame *trace;
    size_t count, cap;
} SnapshotMemo;

typedef struct Snapshot {
    pid_t tid;
    char state;         /* /proc state letter from just before the stop */
    bool group_stopped; /* stopped by SIGSTOP & co, not by us */
    SampleStatus status;
    uint64_t t_ns;       /* CLOCK_MONOTONIC when the registers were read */
    uint64_t stopped_ns; /* how long spytop held the thread: stop seen -> resumed */
    uint64_t copied_ns;  /* part of stopped_ns spent on registers + stack copy */
    uint64_t latency_ns; /* interrupt sent -> stop seen */
    ArchRegs regs;
    uint64_t stack_addr;       /* target address of stack[0] */
    size_t stack_len;          /* bytes copied */
    uint8_t *stack;            /* owned by the sampler, reused across ticks */
    struct PyRawStack *python; /* the thread's Python frames, raw; NULL without Python */
    /* A sleeping thread's last snapshot taken again: the thread was not
     * stopped this tick, as it provably has not run since (sampler.c,
     * "Reusing a sleeper's stack"). Everything above is as it was then,
     * but t_ns, and stopped_ns, copied_ns and latency_ns are 0. */
    bool reused;
    /* SPYTOP_SLEEPER_REUSE=check: the thread would have been reused, and
     * was stopped to compare; memo holds what reuse would have given. */
    bool reuse_check;
    SnapshotMemo *memo; /* where the session keeps its result; NULL: nowhere */
} Snapshot;

#endif
