/* Counts SIGUSR1 and SIGRTMIN deliveries; on SIGUSR2 writes
 * "usr1=N rt=M" to the file named by argv[1] and exits. Each SIGUSR1 also
 * writes one "u" to stdout, so a test can wait for each to be handled
 * before sending the next (SIGUSR1 is not queued: two pending ones merge).
 * Spins meanwhile (or sleeps with argv[2] = "sleep"), so samples catch it
 * anywhere. */
#include <signal.h>
#include <string.h>

#include "common.h"

static volatile sig_atomic_t usr1_count, rt_count, done;

static void
on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
    ssize_t r = write(STDOUT_FILENO, "u", 1);
    (void)r;
}

static void
on_rt(int sig)
{
    (void)sig;
    rt_count++;
}

static void
on_usr2(int sig)
{
    (void)sig;
    done = 1;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int sleeping = argc > 2 && strcmp(argv[2], "sleep") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_rt;
    sigaction(SIGRTMIN, &sa, NULL);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    target_ready();
    while (!done) {
        if (sleeping)
            usleep(1000);
        else
            target_burn(1000);
    }
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 1;
    fprintf(f, "usr1=%d rt=%d\n", (int)usr1_count, (int)rt_count);
    return fclose(f) == 0 ? 0 : 1;
}
