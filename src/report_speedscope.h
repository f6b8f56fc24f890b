/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_SPEEDSCOPE_H
#define SPYTOP_SRC_REPORT_SPEEDSCOPE_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * one "sampled" profile per thread in nanoseconds, each sample weighted by
 * the time since that thread's previous sample (capped at two intervals). */
int Report_speedscope(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                      FILE *out);

#endif
