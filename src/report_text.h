/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_TEXT_H
#define SPYTOP_SRC_REPORT_TEXT_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* The hot list for the whole selection: %Own and %Total of the selected
 * time, own and total time, function, location, module; then threads. */
int Report_text(const RecReader *reader, Symtab *symtab, const ReportOptions *options, FILE *out);

#endif
