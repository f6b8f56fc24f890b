/* `spytop record`: the live session with no screen, every sample written
 * to a .spytop file (recwriter.h) that is flushed every second, one progress
 * line on a terminal's stderr, and a file that is valid whatever ends the
 * recording (Ctrl-C, SIGTERM, the duration, the target's exit, a full disk,
 * even SIGKILL up to the last second). */
#ifndef SPYTOP_SRC_RECORD_H
#define SPYTOP_SRC_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "aggregator.h"
#include "live.h"
#include "symtab.h"

typedef struct RecordOptions {
    const char *output; /* NULL: spytop-PID-YYYYmmdd-HHMMSS.spytop here */
    bool force;         /* overwrite an existing regular file */
    /* A scratch recording for an export (record_direct.h): written to
     * scratch_fd (Record_run closes it), named output in messages; the
     * end's summary names no file. output and force were checked by the
     * caller. */
    bool scratch;
    int scratch_fd;
    LiveOptions live; /* target, rate, duration, ... (sink is set by Record_run) */
} RecordOptions;

/* What a recording came to, for a caller that goes on with it. */
typedef struct RecordResult {
    bool opened;      /* the file was started: it holds what was recorded */
    bool failed;      /* writing it failed (the file ends at its last whole chunk) */
    pid_t pid;        /* the target */
    time_t started;   /* when the recording started (wall clock) */
    double seconds;   /* how long it ran */
    uint64_t samples; /* samples written */
    size_t processes; /* processes followed (1 for one target) */
} RecordResult;

/* The output was checked (Outfile_check_new) before the target is
 * attached to or the command launched: a bad -o touches nothing. Returns an
 * exit status (exit_codes.h: EXIT_*; with a launched command, its exit
 * status unless the recording failed); fills *result if not NULL. */
int Record_run(const RecordOptions *options, Aggregator *agg, Symtab *symtab, RecordResult *result);

/* spytop-PID-YYYYmmdd-HHMMSS followed by suffix (".spytop"), local time.
 * New. */
char *Record_default_name(pid_t pid, time_t when, const char *suffix);

#endif
