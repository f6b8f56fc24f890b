/* `spytop record` asked for an export format directly, as py-spy's
 * `record -o profile.svg` is: the samples are recorded to a scratch
 * .spytop file next to the output (record.h, so a recorder killed even by
 * SIGKILL leaves them there), then written out in the format asked for
 * (export.h), as `spytop report` would, and the scratch file removed. */
#ifndef SPYTOP_SRC_RECORD_DIRECT_H
#define SPYTOP_SRC_RECORD_DIRECT_H

#include <stdbool.h>

#include "aggregator.h"
#include "export.h"
#include "record.h"
#include "symtab.h"

/* What record writes: -f's format if given (format: its name, or NULL;
 * "spytop" is the recording), else the one output's name ends in
 * (output: -o's file, or NULL), else a .spytop recording. *direct: an
 * export in *chosen; false: a recording. 0, or -1 with *error set to an
 * allocated one-line usage message (raw bytes: escape it to print) (an unknown -f, or a bare
 * .json). */
int RecordDirect_choose(const char *format, const char *output, ReportFormat *chosen, bool *direct,
                        char **error);

/* What -o's name is given when it is not: spytop-PID-YYYYmmdd-HHMMSS and
 * this (".svg", ".speedscope.json", ...). Borrowed, static. */
const char *RecordDirect_suffix(ReportFormat format);

/* Records as Record_run does (record->output and ->force are the
 * export's: checked before the target is touched), then writes the export
 * (export->output: NULL for the default name, "-" for stdout) and removes the scratch
 * recording. The recording is kept, and named, when the export or the
 * recording fails. The end's summary ends with one line naming what was
 * written. Returns an exit status as Record_run does; EXIT_FATAL when
 * the export failed. */
int RecordDirect_run(const RecordOptions *record, const ExportOptions *export, Aggregator *agg,
                     Symtab *symtab);

#endif
