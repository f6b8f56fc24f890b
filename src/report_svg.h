/* One export format of report.h; report.c dispatches to it. */
#ifndef SPYTOP_SRC_REPORT_SVG_H
#define SPYTOP_SRC_REPORT_SVG_H

#include <stdio.h>

#include "recreader.h"
#include "report_options.h"
#include "symtab.h"

/* A flame graph as one SVG file: boxes sized by samples, names clipped to
 * their box, details (name, samples, file:line) on hover, click to zoom,
 * Ctrl-F or '/' to search, "Icicle" or i to turn it upside down (a small
 * inline script; without it the graph still shows). */
int Report_svg(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
               FILE *out);

#endif
