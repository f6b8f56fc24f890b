/* What a report of a recording is asked for (report.h): the selection
 * (a time range, a process, a thread, idle or not) and each format's own knobs. */
#ifndef SPYTOP_SRC_REPORT_OPTIONS_H
#define SPYTOP_SRC_REPORT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregator.h"

#define REPORT_TO_END UINT64_MAX

typedef struct ReportOptions {
    uint64_t from_ns;  /* after the recording's start (its start_mono_ns) */
    uint64_t to_ns;    /* exclusive; REPORT_TO_END: to the end */
    pid_t pid;         /* 0: every process (a recording of one holds one) */
    pid_t tid;         /* 0: every thread */
    bool include_idle; /* keep samples of threads that were not running */
    bool by_line;      /* a frame per source line: "function (dir/file.c:12)" */
    bool full_paths;   /* file names whole (--full-filenames), not their last two parts */
    bool thread_roots; /* collapsed and svg: each thread as the outermost frame */
    unsigned rows;     /* text: rows of the hot list, 0 for every row */
    AggSort sort;      /* text: the order of the hot list (percent sorts: by time) */
    const char *title; /* svg: NULL for one made from the header */
} ReportOptions;

/* Every sample of every process and thread, idle left out, thread roots on, by
 * function, the text sorted by own time, 50 rows. */
void ReportOptions_init(ReportOptions *options);

#endif
