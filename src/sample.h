/* One sample of one thread, the record every consumer reads: the live
 * view's aggregator, the recorder and the reader of a recording, the
 * reports, dump. The producer (session.c, through sampler, unwinder and
 * symbolizer) fills it; everything here is plain data with symtab ids.
 *
 * The rule this header exists for: a module that works offline (the
 * aggregator, the recording files, the reports, symtab, hotlist, anything
 * in tui/) includes sample.h for samples and never session.h, sampler.h,
 * tracer.h, unwinder.h, snapshot.h or pyframes.h. */
#ifndef SPYTOP_SRC_SAMPLE_H
#define SPYTOP_SRC_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symtab.h"

/* How the copy of one thread went (the sampler's answer). */
typedef enum SampleStatus {
    SAMPLE_OK,          /* registers and stack copied */
    SAMPLE_NO_STACK,    /* registers only: the stack could not be read */
    SAMPLE_LATE,        /* did not stop before the deadline: skipped */
    SAMPLE_THREAD_GONE, /* exited while being sampled */
    SAMPLE_FAILED,      /* registers unreadable */
    SAMPLE_ASLEEP,      /* not running by /proc's account: left alone, no stack */
} SampleStatus;

/* Why the native call chain ends where it does (the unwinder's answer). */
typedef enum UnwindEnd {
    UNWIND_COMPLETE,  /* reached the outermost frame */
    UNWIND_TRUNCATED, /* a read fell outside the stack copy or the images */
    UNWIND_DEPTH_CAP, /* stopped at UNWIND_MAX_DEPTH or the caller's max */
    UNWIND_NO_INFO,   /* libunwind gave up (no unwind info, bad frame) */
} UnwindEnd;

typedef struct Sample {
    uint64_t t_ns; /* CLOCK_MONOTONIC */
    /* The thread's process; 0: not known (the recording's writer stores
     * its header's PID then). Read from a recording of version 1 or 2: the
     * header's PID. */
    pid_t pid;
    pid_t tid;
    char state; /* /proc state letter before the stop */
    bool group_stopped;
    bool blocked;   /* stopped inside a blocking system call (waiting) */
    bool python;    /* Python frames were merged into the stack */
    bool holds_gil; /* the thread held the GIL */
    bool reused;    /* not stopped: asleep since its last stop, whose stack this is */
    SampleStatus status;
    UnwindEnd end;
    StackId stack;       /* innermost first; valid in the session's symtab */
    uint64_t stopped_ns; /* what this sample cost the thread: how long it was held */
} Sample;

/* One frame of a sample's stack with what only a dump shows: its address
 * (0 for a Python frame) and the offset into its symbol or module. */
typedef struct TraceFrame {
    FrameId frame;
    uint64_t pc;
    uint64_t offset;
    bool offset_in_module;
} TraceFrame;

/* The frames of one sample, the same as its stack, innermost first. */
typedef struct SampleTrace {
    const TraceFrame *frames;
    size_t count;
} SampleTrace;

#endif
