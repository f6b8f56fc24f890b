/* sigstorm PID N: sends the signals target N queued SIGRTMIN with payloads
 * 1..N and N SIGUSR1, each SIGUSR1 only once the target answered the last
 * one (SIGUSR2 back), so none can merge. Interleaves the two kinds; waits
 * and retries when the target's signal queue is full. Prints
 * "sent usr1=N rt=N" and exits 0, or 1 if the target stopped answering. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int
send_rt(pid_t pid, int payload)
{
    union sigval value = {.sival_int = payload};
    while (sigqueue(pid, SIGRTMIN, value) < 0) {
        if (errno != EAGAIN)
            return -1;
        usleep(100); /* the queue is full: the target is catching up */
    }
    return 0;
}

static int
send_usr1(pid_t pid, const sigset_t *ack)
{
    union sigval value = {.sival_int = 0};
    if (sigqueue(pid, SIGUSR1, value) < 0) /* sigqueue: "answer me" */
        return -1;
    struct timespec timeout = {5, 0};
    return sigtimedwait(ack, NULL, &timeout) == SIGUSR2 ? 0 : -1;
}

int
main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    pid_t pid = (pid_t)atoi(argv[1]);
    int n = atoi(argv[2]);
    sigset_t ack;
    sigemptyset(&ack);
    sigaddset(&ack, SIGUSR2);
    sigprocmask(SIG_BLOCK, &ack, NULL);
    int usr1 = 0, rt = 0;
    for (int i = 1; i <= n; i++) {
        if (send_rt(pid, i) < 0)
            break;
        rt++;
        if (send_usr1(pid, &ack) < 0)
            break;
        usr1++;
    }
    printf("sent usr1=%d rt=%d\n", usr1, rt);
    return usr1 == n && rt == n ? 0 : 1;
}
