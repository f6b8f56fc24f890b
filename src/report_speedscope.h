/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_SPEEDSCOPE_H
#define SPYTOP_SRC_REPORT_SPEEDSCOPE_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * one "sampled" profile per thread in nanoseconds, each sample weighted by
 * the real time since that thread's previous sample (however long),
 * samples left out (idle, no stack) and the time before a thread's first
 * an empty sample of their time: a thread's time axis is the recording's
 * (from --from). Frames carry their file and line (by function, the
 * lowest line sampled in it). */
int Report_speedscope(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                      FILE *out);

#endif
