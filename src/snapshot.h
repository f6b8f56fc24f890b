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
} Snapshot;

#endif
