/* Exports of a recording: the hot list as plain text, folded stacks for
 * flamegraph.pl and its kin, speedscope JSON, pprof (gzip'd profile.proto)
 * and a self-contained interactive flame-graph SVG. Each reads the samples
 * of a RecReader and the symtab they were read into, keeps those that pass
 * the options (a time range, a thread, idle or not) and writes to a FILE
 * it does not close. As in the live view, samples of threads that were not
 * running (Aggregator_is_idle) and samples without a stack are left out
 * unless idle ones are asked for. */
#ifndef SPYTOP_SRC_REPORT_H
#define SPYTOP_SRC_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "aggregator.h"
#include "recreader.h"
#include "symtab.h"

typedef enum ReportFormat {
    REPORT_TEXT,
    REPORT_COLLAPSED,
    REPORT_SPEEDSCOPE,
    REPORT_PPROF,
    REPORT_SVG,
} ReportFormat;

#define REPORT_TO_END UINT64_MAX

typedef struct ReportOptions {
    uint64_t from_ns;  /* after the recording's start (its start_mono_ns) */
    uint64_t to_ns;    /* exclusive; REPORT_TO_END: to the end */
    pid_t tid;         /* 0: every thread */
    bool include_idle; /* keep samples of threads that were not running */
    bool by_line;      /* a frame per source line: "function (dir/file.c:12)" */
    bool thread_roots; /* collapsed and svg: each thread as the outermost frame */
    unsigned rows;     /* text: rows of the hot list, 0 for every row */
    AggSort sort;      /* text: the order of the hot list (percent sorts: by time) */
    const char *title; /* svg: NULL for one made from the header */
} ReportOptions;

/* Every sample of every thread, idle left out, thread roots on, by
 * function, the text sorted by own time, 50 rows. */
void ReportOptions_init(ReportOptions *options);

/* "text", "collapsed" (also "folded"), "speedscope", "pprof", "svg"
 * (also "flamegraph"). False for anything else. */
bool Report_parse_format(const char *name, ReportFormat *format);
const char *Report_format_name(ReportFormat format);

/* Writes the report; 0, or -errno when writing failed (the FILE's error
 * flag or a failed fflush: ENOSPC and EPIPE are caught here). */
int Report_write(ReportFormat format, const RecReader *reader, Symtab *symtab,
                 const ReportOptions *options, FILE *out);

/* The hot list for the whole selection: %Own and %Total of the selected
 * time, own and total time, function, location, module; then threads. */
int Report_text(const RecReader *reader, Symtab *symtab, const ReportOptions *options, FILE *out);

/* One line per distinct stack, outermost frame first, frames separated by
 * ';', then a space and the sample count (Brendan Gregg's folded format).
 * ';' in names becomes ':', control characters '?'. Lines sorted. */
int Report_collapsed(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                     FILE *out);

/* speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * one "sampled" profile per thread in nanoseconds, each sample weighted by
 * the time since that thread's previous sample (capped at two intervals). */
int Report_speedscope(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                      FILE *out);

/* pprof's profile.proto, gzip-compressed: values samples/count and
 * wall/nanoseconds, one sample per (stack, thread) with labels "thread"
 * (its name) and "tid", inlined frames folded into their caller's location. */
int Report_pprof(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                 FILE *out);

/* A flame graph as one SVG file: boxes sized by samples, names clipped to
 * their box, details on hover, click to zoom, Ctrl-F or '/' to search
 * (a small inline script; without it the graph still shows). */
int Report_svg(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
               FILE *out);

#endif
