/* `spytop dump`: every thread's stack, once, as text or JSON. */
#ifndef SPYTOP_SRC_DUMP_H
#define SPYTOP_SRC_DUMP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "unwinder.h"

typedef struct DumpOptions {
    pid_t pid;
    bool json;
    size_t stack_bytes;
    size_t max_depth;
    bool native;
    bool no_python;
    UnwindMemo unwind_memo;
    unsigned attach_delay_ms; /* fault injection for tests (SessionOptions) */
} DumpOptions;

/* Attaches, samples every thread once, detaches, prints to out. Errors go
 * to err as one line. Returns an exit status (exit_codes.h: EXIT_*). */
int Dump_run(const DumpOptions *options, FILE *out, FILE *err);

#endif
