#include "config.h"

#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* In the child, between fork and exec: only async-signal-safe calls. */
static _Noreturn void
run_child(const LaunchOptions *options, int go_fd, int error_fd)
{
    /* Held here until the tracer has seized this process: EOF instead of
     * the go byte means spytop gave up or died, and the command must not
     * run untraced. */
    char go;
    ssize_t n;
    do
        n = read(go_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(127);
    /* spytop blocks signals to read them from a signalfd: the command
     * must start with the default mask and dispositions. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (options->stdin_fd >= 0)
        dup2(options->stdin_fd, STDIN_FILENO);
    if (options->output_fd >= 0) {
        dup2(options->output_fd, STDOUT_FILENO);
        dup2(options->output_fd, STDERR_FILENO);
    }
    execvp(options->argv[0], options->argv);
    int err = errno;
    ssize_t r = write(error_fd, &err, sizeof(err));
    (void)r;
    _exit(127);
}

int
Launch_start(Launch *launch, const LaunchOptions *options, char **cause)
{
    /* Both pipes close on exec: the command inherits neither, and the
     * error pipe's EOF means the exec succeeded. */
    int go[2], error[2];
    *launch = (Launch){.pid = -1, .go_fd = -1, .error_fd = -1};
    if (pipe2(go, O_CLOEXEC) < 0) {
        int err = errno;
        *cause = xasprintf("pipe2: %s", strerror(err));
        return -err;
    }
    if (pipe2(error, O_CLOEXEC) < 0) {
        int err = errno;
        close(go[0]);
        close(go[1]);
        *cause = xasprintf("pipe2: %s", strerror(err));
        return -err;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(go[0]);
        close(go[1]);
        close(error[0]);
        close(error[1]);
        *cause = xasprintf("fork: %s", strerror(err));
        return -err;
    }
    if (pid == 0) {
        close(go[1]);
        close(error[0]);
        run_child(options, go[0], error[1]);
    }
    close(go[0]);
    close(error[1]);
    launch->pid = pid;
    launch->go_fd = go[1];
    launch->error_fd = error[0];
    return 0;
}

void
Launch_release(Launch *launch)
{
    if (launch->go_fd < 0)
        return;
    ssize_t n;
    do
        n = write(launch->go_fd, "g", 1);
    while (n < 0 && errno == EINTR);
    close(launch->go_fd);
    launch->go_fd = -1;
}

int
Launch_exec_error(Launch *launch)
{
    if (launch->error_fd < 0)
        return 0;
    /* The child wrote before it exited: this read does not wait. */
    int child_errno = 0;
    ssize_t n;
    do
        n = read(launch->error_fd, &child_errno, sizeof(child_errno));
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(child_errno) ? child_errno : 0;
}

void
Launch_done(Launch *launch)
{
    if (launch->go_fd >= 0)
        close(launch->go_fd);
    if (launch->error_fd >= 0)
        close(launch->error_fd);
    launch->go_fd = launch->error_fd = -1;
}

bool
Launch_wait(pid_t pid, int timeout_ms, int *wait_status)
{
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(pid, wait_status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
        if (waited >= timeout_ms)
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void
Launch_describe_exit(int wait_status, char *buf, size_t size)
{
    if (WIFEXITED(wait_status)) {
        snprintf(buf, size, "exit code %d", WEXITSTATUS(wait_status));
    } else if (WIFSIGNALED(wait_status)) {
        const char *name = sigabbrev_np(WTERMSIG(wait_status));
        if (name)
            snprintf(buf, size, "killed by SIG%s%s", name,
                     WCOREDUMP(wait_status) ? ", core dumped" : "");
        else
            snprintf(buf, size, "killed by signal %d", WTERMSIG(wait_status));
    } else {
        snprintf(buf, size, "status 0x%x", (unsigned)wait_status);
    }
}

int
Launch_exit_code(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 1;
}
