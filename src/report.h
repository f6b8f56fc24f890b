/* Exports of a recording: the hot list as plain text, folded stacks for
 * flamegraph.pl and its kin, speedscope JSON, pprof (gzip'd profile.proto),
 * a self-contained interactive flame-graph SVG, Chrome trace events and
 * the Firefox Profiler's format. Each reads the samples
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

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

typedef enum ReportFormat {
    REPORT_TEXT,
    REPORT_COLLAPSED,
    REPORT_SPEEDSCOPE,
    REPORT_PPROF,
    REPORT_SVG,
    REPORT_CHROME,
    REPORT_GECKO,
} ReportFormat;

/* "text", "collapsed" (also "folded"), "speedscope", "pprof", "svg"
 * (also "flamegraph"), "chrome" (also "chrometrace", py-spy's name),
 * "gecko" (also "firefox"). False for anything else. */
bool Report_parse_format(const char *name, ReportFormat *format);
const char *Report_format_name(ReportFormat format);

/* Writes the report; 0, or -errno when writing failed (the FILE's error
 * flag or a failed fflush: ENOSPC and EPIPE are caught here). */
int Report_write(ReportFormat format, const RecReader *reader, Symtab *symtab,
                 const ReportOptions *options, FILE *out);

#endif
