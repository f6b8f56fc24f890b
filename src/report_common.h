/* What the exporters of report.h (report_text.c, report_collapsed.c,
 * report_speedscope.c, report_pprof.c, report_svg.c) share: the selection
 * of samples, their weights, frame and thread names, and counts per
 * distinct stack. report.c only dispatches to the exporters; they call
 * this module, never back into report.c. */
#ifndef SPYTOP_SRC_REPORT_COMMON_H
#define SPYTOP_SRC_REPORT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* A selected sample and the thread time it stands for, two ways. */
typedef struct ReportPick {
    const Sample *sample; /* borrowed from the reader */
    /* For the totals (text, collapsed, pprof, svg): the time since its
     * thread's previous sample (selected or not), at most two sampling
     * intervals; a thread's first sample one interval. */
    uint64_t weight_ns;
    /* For the time lines (speedscope, chrome, gecko): the real time since
     * its thread's previous sample, however long (however low the rate
     * reached); a thread's first sample the recording's mean tick, at
     * most the time since the start. A thread that lived through the
     * recording has spans that add up to its length. */
    uint64_t span_ns;
} ReportPick;

/* The samples that pass the options, in file order. A new array; *count
 * may be 0. */
ReportPick *Report_select(const RecReader *reader, const Symtab *symtab,
                          const ReportOptions *options, size_t *count);

/* The sampling interval the header asked for (10 ms if it says 0 Hz). */
uint64_t Report_interval_ns(const RecReader *reader);

/* A frame's name: its function ("?? [module]" when unknown), with
 * " (dir/file.c:12)" in by_line mode (the whole path with full_paths).
 * Raw bytes; a new string. */
char *Report_frame_name(const Symtab *symtab, FrameId frame, bool by_line, bool full_paths);

/* A thread's label: "name (tid)", or "tid N" without a name. New. */
char *Report_thread_label(const RecReader *reader, const Symtab *symtab, pid_t tid);

/* Samples and time per distinct stack, or per (stack, thread) when
 * per_thread; in order of first appearance. A new array. */
typedef struct ReportStackCount {
    StackId stack;
    pid_t tid; /* 0 unless per_thread */
    uint64_t count;
    uint64_t weight_ns;
} ReportStackCount;

ReportStackCount *Report_count_stacks(const ReportPick *picks, size_t npicks, bool per_thread,
                                      size_t *count);

/* Sorts picks by thread, each thread's in file (so time) order. */
void Report_sort_by_thread(ReportPick *picks, size_t count);

/* The time one pick of a thread stands for in a time line, in ns after
 * the recording's start: [start, end), end being its sample's time. Of a
 * thread's picks in time order, each span starts where the one before
 * ends unless the samples between them were left out (idle, no stack):
 * then there is a gap, of that time. */
typedef struct ReportSpan {
    uint64_t start, end;
} ReportSpan;

/* The spans of picks[0..count), all of one thread in time order, into
 * out[0..count) (from span_ns). Spans never overlap and are never empty. */
void Report_spans(const RecReader *reader, const ReportPick *picks, size_t count, ReportSpan *out);

/* Flushes out and reports its error state: 0 or -errno (-EIO when the
 * stream only says that it failed). */
int Report_finish(FILE *out);

#endif
