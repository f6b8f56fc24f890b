/* `spytop record`: the live session with no screen, every sample written
 * to a .spytop file (recwriter.h) that is flushed every second, one progress
 * line on a terminal's stderr, and a file that is valid whatever ends the
 * recording (Ctrl-C, SIGTERM, the duration, the target's exit, a full disk,
 * even SIGKILL up to the last second). */
#ifndef SPYTOP_SRC_RECORD_H
#define SPYTOP_SRC_RECORD_H

#include <stdbool.h>

#include "aggregator.h"
#include "live.h"
#include "symtab.h"

typedef struct RecordOptions {
    const char *output; /* NULL: spytop-PID-YYYYmmdd-HHMMSS.spytop here */
    bool force;         /* overwrite an existing regular file */
    LiveOptions live;   /* target, rate, duration, ... (sink is set by Record_run) */
} RecordOptions;

/* Returns an exit status (exit_codes.h: EXIT_*; with a launched command, its
 * exit status unless the recording failed). */
int Record_run(const RecordOptions *options, Aggregator *agg, Symtab *symtab);

#endif
