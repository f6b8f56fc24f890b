/* Holds a process as its tracer (PTRACE_SEIZE), like a debugger would,
 * until killed: lets tests check the "already traced" message. */
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
    if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
        fprintf(stderr, "holder: PTRACE_SEIZE %d: %s\n", (int)pid, strerror(errno));
        return 1;
    }
    alarm(300);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (;;)
        pause();
}
