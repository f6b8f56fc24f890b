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

/* Processes the recording holds (1 for a recording of one target). */
size_t Report_process_count(const RecReader *reader);

/* Whether an export keeps processes apart (a root frame, a profile, a
 * label per process): the recording holds several and options select
 * none. Otherwise exports look as they do for one process. */
bool Report_by_process(const RecReader *reader, const ReportOptions *options);

/* The process a report is of: the one options select, else the header's;
 * and its command line (for the header's, its executable when the
 * command line is not known). Borrowed from the reader or the symtab. */
pid_t Report_target(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                    const char **command);

/* What a report is of, for titles: "PID 12 command", or with processes
 * apart "PID 12 command and 3 other processes". Raw bytes; new. */
char *Report_title(const RecReader *reader, const Symtab *symtab, const ReportOptions *options);

/* A process's label, a root frame or a profile's name: "PID 12 command"
 * (the command line cut past REPORT_COMMAND_MAX bytes, "PID 12" when not
 * known). Raw bytes (the caller escapes them for its format); new. */
#define REPORT_COMMAND_MAX 160
char *Report_process_label(const RecReader *reader, const Symtab *symtab, pid_t pid);

/* Samples and time per distinct stack, or per (stack, thread) when
 * per_thread, per (stack, process) when per_process, or both; in order of
 * first appearance. A new array. */
typedef struct ReportStackCount {
    StackId stack;
    pid_t pid; /* 0 unless per_process */
    pid_t tid; /* 0 unless per_thread */
    uint64_t count;
    uint64_t weight_ns;
} ReportStackCount;

ReportStackCount *Report_count_stacks(const ReportPick *picks, size_t npicks, bool per_thread,
                                      bool per_process, size_t *count);

/* Whether two samples are of the same thread (of the same process). */
static inline bool
Report_same_thread(const Sample *a, const Sample *b)
{
    return a->tid == b->tid && a->pid == b->pid;
}

/* Sorts picks by process and thread, each thread's in file (so time)
 * order. */
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
