/* `spytop dump`: every thread's stack, once, as text or JSON. */
#ifndef SPYTOP_SRC_DUMP_H
#define SPYTOP_SRC_DUMP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "session.h"

typedef struct DumpOptions {
    pid_t pid;         /* one process, or */
    const pid_t *pids; /* several (-p PID,PID): each in turn */
    size_t pid_count;
    bool subprocesses; /* and every descendant of them */
    bool json;
    bool locals;            /* each Python frame's local variables */
    bool tasks;             /* asyncio tasks (CPython 3.14+) */
    SessionOptions session; /* its deadline and detach_after_tick are Dump_run's */
} DumpOptions;

/* Attaches, samples every thread once, detaches, prints to out. Errors go
 * to err as one line. Several processes are dumped one after the other:
 * text, a section each; JSON, {"processes": [each process's object]}.
 * Returns an exit status (exit_codes.h: EXIT_*): EXIT_PARTIAL when one of
 * several could not be dumped. */
int Dump_run(const DumpOptions *options, FILE *out, FILE *err);

#endif
