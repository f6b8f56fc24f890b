/* Starts a command for `spytop -- COMMAND`: fork, exec, and report the exec
 * failure (command not found, ...) as an error instead of a child that
 * exits 127. The child is spytop's own child; its exit is reaped by the
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

/* Returns the child's pid once it has exec'd, or -errno with *cause set. */
pid_t Launch_command(const LaunchOptions *options, char **cause);

/* Waits up to timeout_ms for the child to exit (reaping it). Returns true
 * and sets *wait_status when it did. */
bool Launch_wait(pid_t pid, int timeout_ms, int *wait_status);

/* "exit code 7" or "killed by SIGTERM" for a wait status, into buf. */
void Launch_describe_exit(int wait_status, char *buf, size_t size);

/* The exit status spytop should return for a child's wait status:
 * its exit code, or 128 + the signal that killed it. */
int Launch_exit_code(int wait_status);

#endif
