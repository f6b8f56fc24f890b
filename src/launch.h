/* Starts a command for `spytop -- COMMAND` in two steps, so that the tracer
 * sees it from its first instruction: Launch_start forks a child that
 * waits before its exec; the caller seizes it (with exec tracing), then
 * Launch_release lets it exec. An exec failure (command not found, ...)
 * comes back through a close-on-exec pipe as an error instead of a child
 * that exits 127. The child is spytop's own; its exit is reaped by the
 * tracer while attached, or by Launch_wait. */
#ifndef SPYTOP_SRC_LAUNCH_H
#define SPYTOP_SRC_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct LaunchOptions {
    char *const *argv; /* NULL-terminated */
    int stdin_fd;      /* -1: inherit */
    int output_fd;     /* -1: inherit stdout and stderr */
} LaunchOptions;

/* A started child: embedded in its user, ended by Launch_done. */
typedef struct Launch {
    pid_t pid;
    int go_fd;    /* write end: one byte lets the child exec; -1 once used */
    int error_fd; /* read end: the exec's errno, or EOF once it succeeded */
} Launch;

/* Forks the child, which waits (before its exec, and before anything of
 * the command runs) until Launch_release. 0, or -errno with *cause set. */
int Launch_start(Launch *launch, const LaunchOptions *options, char **cause);

/* Lets the held child exec. Does not wait: the exec stops in the tracer,
 * which must keep servicing the child until it reports the exec or the
 * child's exit. */
void Launch_release(Launch *launch);

/* Once the child exited without an exec: the exec's errno, or 0 when it
 * never tried (killed before, or never released). */
int Launch_exec_error(Launch *launch);

/* Closes what is left open. A child never released sees its pipe close
 * and exits 127 without running the command (also when spytop dies). */
void Launch_done(Launch *launch);

/* Waits up to timeout_ms for the child to exit (reaping it). Returns true
 * and sets *wait_status when it did. */
bool Launch_wait(pid_t pid, int timeout_ms, int *wait_status);

/* "exit code 7" or "killed by SIGTERM" for a wait status, into buf. */
void Launch_describe_exit(int wait_status, char *buf, size_t size);

/* The exit status spytop should return for a child's wait status:
 * its exit code, or 128 + the signal that killed it. */
int Launch_exit_code(int wait_status);

#endif
