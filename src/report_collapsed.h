/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_COLLAPSED_H
#define SPYTOP_SRC_REPORT_COLLAPSED_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* One line per distinct stack, outermost frame first, frames separated by
 * ';', then a space and the sample count (Brendan Gregg's folded format).
 * ';' in names becomes ':', control characters '?'. Lines sorted. */
int Report_collapsed(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                     FILE *out);

#endif
