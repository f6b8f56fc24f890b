/* Counts SIGUSR1 and SIGRTMIN deliveries; on SIGUSR2 writes
 * "usr1=N rt=M misordered=K" to the file named by argv[1] and exits.
 * Each SIGUSR1 also writes one "u" to stdout, and one sent with sigqueue
 * is answered with SIGUSR2 to its sender, so a sender can wait for each to be handled before
 * sending the next (SIGUSR1 is not queued: two pending ones merge). A SIGRTMIN sent with sigqueue
 * carries a payload that must count up from 1; K counts the ones that came out of order (payload 0,
 * from kill, is not checked). Spins meanwhile (or sleeps with argv[2] = "sleep"), so samples catch
 * it anywhere. */
#include <signal.h>
#include <string.h>

#include "common.h"

static volatile sig_atomic_t usr1_count, rt_count, rt_misordered, done;
static volatile int rt_last_payload;

static void
on_usr1(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    usr1_count++;
    ssize_t r = write(STDOUT_FILENO, "u", 1);
    (void)r;
    /* Only a sender that asks (sigqueue) is answered: a shell's kill
     * would die of the SIGUSR2. */
    if (info->si_code == SI_QUEUE && info->si_pid > 0)
        kill(info->si_pid, SIGUSR2);
}

static void
on_rt(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    rt_count++;
    if (info->si_code == SI_QUEUE) {
        int payload = info->si_value.sival_int;
        if (payload != rt_last_payload + 1)
            rt_misordered++;
        rt_last_payload = payload;
    }
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
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sa.sa_sigaction = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_sigaction = on_rt;
    sigaction(SIGRTMIN, &sa, NULL);
    sa.sa_flags = SA_RESTART;
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
    fprintf(f, "usr1=%d rt=%d misordered=%d\n", (int)usr1_count, (int)rt_count, (int)rt_misordered);
    return fclose(f) == 0 ? 0 : 1;
}
