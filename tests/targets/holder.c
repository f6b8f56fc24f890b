/* Holds a process as its tracer (PTRACE_SEIZE), like a debugger would,
 * until killed: lets tests check the "already traced" message. A seize
 * refused (EPERM: a profiler stops the thread at that moment) is tried
 * again for up to a second. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pid_t pid = (pid_t)atoi(argv[1]);
    int tries = 0;
    long r;
    while ((r = ptrace(PTRACE_SEIZE, pid, NULL, NULL)) < 0 && errno == EPERM && ++tries < 100)
        usleep(10 * 1000);
    if (r < 0) {
        fprintf(stderr, "holder: PTRACE_SEIZE %d: %s\n", (int)pid, strerror(errno));
        return 1;
    }
    alarm(300);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (;;)
        pause();
}
