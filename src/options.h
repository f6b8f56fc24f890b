/* Command-line parsing and validation, nothing else. */
#ifndef SPYTOP_SRC_OPTIONS_H
#define SPYTOP_SRC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses, as eu-stack's: documented in --help and spytop(1). */
#define EXIT_OK 0
#define EXIT_PARTIAL 1
#define EXIT_FATAL 2
#define EXIT_USAGE 64

typedef enum Command {
    CMD_TOP,
    CMD_DUMP,
    CMD_HELP,
    CMD_VERSION,
} Command;

typedef struct Options {
    Command command;
    pid_t pid;          /* -p; 0 when not given */
    bool json;          /* dump --json */
    size_t stack_bytes; /* --stack-size: the most stack copied per thread */
    size_t max_depth;   /* --max-depth */
} Options;

/* Fills opts from argv. Returns 0, or -1 with *error set to an allocated
 * one-line message for a usage error. */
int Options_parse(int argc, char **argv, Options *opts, char **error);

void Options_print_help(FILE *f);
void Options_print_version(FILE *f);

#endif
