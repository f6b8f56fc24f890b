/* Command-line parsing and validation, nothing else. */
#ifndef SPYTOP_SRC_OPTIONS_H
#define SPYTOP_SRC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef enum Command {
    CMD_TOP,
    CMD_DUMP,
    CMD_RECORD,
    CMD_VIEW,
    CMD_REPORT,
    CMD_HELP,
    CMD_VERSION,
} Command;

#define OPTIONS_MAX_TIDS 64
#define OPTIONS_MAX_PIDS 256

typedef struct Options {
    Command command;
    pid_t pid;                    /* -p; 0 when not given; the first of pids */
    pid_t pids[OPTIONS_MAX_PIDS]; /* -p PID,PID,... (and -p again): each once */
    size_t pid_count;
    bool subprocesses;   /* -s, --subprocesses: and every descendant */
    char **command_argv; /* after --: the command to launch (borrowed from argv) */
    bool json;           /* dump --json */
    bool locals;         /* dump --locals */
    bool tasks;          /* dump --tasks */
    bool async;          /* --async: running tasks' time under the tasks awaiting them */
    size_t stack_bytes;  /* --stack-size: the most stack copied per thread */
    size_t max_depth;    /* --max-depth */
    int nice;            /* --nice: spytop's own nice value while sampling */
    bool nice_given;     /* --nice was given: set it exactly */
    /* top */
    unsigned rate_hz;             /* -r */
    double duration_s;            /* -d, 0: until quit */
    bool idle;                    /* --idle */
    pid_t tids[OPTIONS_MAX_TIDS]; /* --threads */
    size_t tid_count;
    bool batch;                 /* --batch */
    unsigned iterations;        /* -n */
    double delay_s;             /* --delay */
    unsigned rows;              /* --rows */
    unsigned window_s;          /* --window */
    bool by_line;               /* --by-line */
    bool full_filenames;        /* --full-filenames (report) */
    int sort;                   /* --sort: an AggSort */
    const char *command_output; /* --command-output */
    bool native;                /* --native: every native frame, interpreter ones too */
    bool no_python;             /* --no-python */
    bool gil;                   /* --gil: only samples of the thread holding the GIL */
    /* record, view, report */
    const char *output;  /* -o */
    bool force;          /* --force */
    const char *file;    /* view/report FILE */
    const char *format;  /* --format */
    double from_s, to_s; /* --from, --to; to_s < 0: the end */
    pid_t thread;        /* --thread */
    /* From the environment, for diagnosis and tests (spytop(1)). */
    bool unwind_memo_off;           /* SPYTOP_UNWIND_MEMO=0 */
    bool unwind_memo_check;         /* SPYTOP_UNWIND_MEMO=check */
    bool sleeper_reuse_off;         /* SPYTOP_SLEEPER_REUSE=0 */
    bool sleeper_reuse_check;       /* SPYTOP_SLEEPER_REUSE=check */
    bool oncpu_schedstat;           /* SPYTOP_ONCPU=schedstat */
    unsigned fault_attach_delay_ms; /* SPYTOP_FAULT_ATTACH_DELAY_MS */
    bool no_color;                  /* NO_COLOR set and not empty (no-color.org) */
} Options;

/* Fills opts from argv and the environment. Returns 0, or -1 with *error set to an allocated
 * one-line message for a usage error. */
int Options_parse(int argc, char **argv, Options *opts, char **error);

void Options_print_help(FILE *f);

#endif
