/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_PPROF_H
#define SPYTOP_SRC_REPORT_PPROF_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* pprof's profile.proto, gzip-compressed: values samples/count and
 * cpu/nanoseconds (wall/nanoseconds when idle samples are kept), one
 * sample per (stack, thread) with labels "thread" (its name) and "tid",
 * inlined frames folded into their caller's location, the executable the
 * first mapping, synthesized non-zero addresses (report_pprof.c says
 * why). */
int Report_pprof(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                 FILE *out);

#endif
