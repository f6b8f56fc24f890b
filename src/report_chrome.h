/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_CHROME_H
#define SPYTOP_SRC_REPORT_CHROME_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* Chrome's Trace Event Format (chrome://tracing, Perfetto, DevTools):
 * per thread, one complete event per run of samples in the same frame,
 * in microseconds after the recording's start. */
int Report_chrome(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                  FILE *out);

#endif
