/* `spytop dump`: every thread's stack, once, as text or JSON. */
#ifndef SPYTOP_SRC_DUMP_H
#define SPYTOP_SRC_DUMP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "session.h"

typedef struct DumpOptions {
    pid_t pid;
    bool json;
    bool locals;            /* each Python frame's local variables */
    SessionOptions session; /* its deadline and detach_after_tick are Dump_run's */
} DumpOptions;

/* Attaches, samples every thread once, detaches, prints to out. Errors go
 * to err as one line. Returns an exit status (exit_codes.h: EXIT_*). */
int Dump_run(const DumpOptions *options, FILE *out, FILE *err);

#endif
