/* A recording written out in one of report.h's formats: `spytop report`,
 * and `spytop record` when it is asked for a format directly
 * (record_direct.h). Messages go to stderr, one line each. */
#ifndef SPYTOP_SRC_EXPORT_H
#define SPYTOP_SRC_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

typedef struct ExportOptions {
    ReportFormat format;
    const char *output; /* NULL or "-": stdout; else a new file (Outfile_open) */
    bool force;         /* overwrite an existing regular file */
    ReportOptions report;
} ExportOptions;

/* Reads the recording at path and writes the export. Returns EXIT_OK,
 * EXIT_PARTIAL (the recording is damaged, or stdout's reader went away:
 * said nothing) or EXIT_FATAL (the recording unreadable, it holds no
 * process options->report.pid, the output refused, writing it failed). *samples, if not NULL: the
 * samples the recording holds. */
int Export_run(const char *path, const ExportOptions *options, size_t *samples);

#endif
