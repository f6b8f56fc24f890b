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

pid_t
Launch_command(const LaunchOptions *options, char **cause)
{
    /* The exec error travels back through a close-on-exec pipe: EOF means
     * the exec succeeded. */
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        int err = errno;
        *cause = xasprintf("pipe2: %s", strerror(err));
        return -err;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        *cause = xasprintf("fork: %s", strerror(err));
        return -err;
    }
    if (pid == 0) {
        close(pipefd[0]);
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
        ssize_t r = write(pipefd[1], &err, sizeof(err));
        (void)r;
        _exit(127);
    }
    close(pipefd[1]);
    int child_errno = 0;
    ssize_t n;
    do
        n = read(pipefd[0], &child_errno, sizeof(child_errno));
    while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == (ssize_t)sizeof(child_errno)) {
        int status;
        waitpid(pid, &status, 0);
        *cause = xasprintf("cannot run '%s': %s", options->argv[0], strerror(child_errno));
        return -child_errno;
    }
    return pid;
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
