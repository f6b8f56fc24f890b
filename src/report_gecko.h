/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_GECKO_H
#define SPYTOP_SRC_REPORT_GECKO_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* The Firefox Profiler's processed profile format (version 57, as
 * CPython's sampler writes it): per thread, samples and their stack,
 * frame, func and resource tables; Python frames as "JS" ones. */
int Report_gecko(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                 FILE *out);

#endif
