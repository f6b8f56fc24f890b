/* Process life events that a tracer must follow, one per mode (argv[1]):
 *
 *   exec-thread  two workers spin; after argv[2] seconds (default 1) the
 *                second worker execs this program again, as "after-exec":
 *                the kernel kills every other thread and the exec'ing
 *                thread takes over the leader's PID.
 *   exec-sleeper the same, but the exec'ing worker sleeps until then, and
 *                main sleeps too (pause): spytop leaves both untraced
 *                (parked), so no exec event reaches it.
 *   after-exec   the image exec'd into: prints "exec'd" and spins.
 *   leader-exit  two workers spin; main calls pthread_exit: the leader
 *                becomes a zombie thread while the process runs on.
 *   leader-exit-worker
 *                the same with one worker that spins argv[2] seconds and
 *                returns, and one that sleeps (pause): left is a process
 *                whose threads all sleep.
 *   fork         main spins; a worker forks a child every 10 ms that spins
 *                5 ms and exits, and reaps it (the children are untraced
 *                processes spytop must not follow).
 *   self-stop    two workers spin; after argv[2] seconds main raises
 *                SIGSTOP on the whole process, and once continued prints
 *                "continued" and spins.
 *   vfork        main spins; a worker calls vfork() and the child sleeps
 *                argv[2] seconds (default 2) before _exit: the worker waits
 *                in the kernel, where no ptrace stop can reach it. Prints
 *                "vfork done" when it returns.
 *
 * "ready" comes once the threads are in place (before the event). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"

static char **saved_argv;
static double event_after = 1.0;

__attribute__((noinline)) static void
lifecycle_spin(void)
{
    for (;;)
        target_burn(1000);
}

static void *
spinner(void *arg)
{
    (void)arg;
    lifecycle_spin();
    return NULL;
}

/* Spins for argv[2] seconds. */
static void
burn_until_event(void)
{
    double end = target_now() + event_after;
    while (target_now() < end)
        target_burn(1000);
}

/* Execs this program again, as "after-exec". */
__attribute__((noreturn)) static void
exec_after_exec(void)
{
    char *args[] = {saved_argv[0], "after-exec", NULL};
    execv("/proc/self/exe", args);
    _exit(3);
}

__attribute__((noinline)) static void *
exec_from_thread(void *arg)
{
    (void)arg;
    burn_until_event();
    exec_after_exec();
}

__attribute__((noinline)) static void *
spin_then_return(void *arg)
{
    (void)arg;
    burn_until_event();
    return NULL;
}

__attribute__((noinline)) static void *
pause_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

__attribute__((noinline)) static void *
exec_after_sleep(void *arg)
{
    (void)arg;
    struct timespec ts = {.tv_sec = (time_t)event_after,
                          .tv_nsec = (long)((event_after - (double)(time_t)event_after) * 1e9)};
    while (nanosleep(&ts, &ts) < 0)
        ;
    exec_after_exec();
}

__attribute__((noinline)) static void *
fork_children(void *arg)
{
    (void)arg;
    for (;;) {
        pid_t child = fork();
        if (child == 0) {
            double end = target_now() + 0.005;
            while (target_now() < end)
                target_burn(1000);
            _exit(0);
        }
        if (child > 0)
            waitpid(child, NULL, 0);
        usleep(10000);
    }
    return NULL;
}

__attribute__((noinline)) static void *
vfork_and_wait(void *arg)
{
    (void)arg;
    pid_t child = vfork();
    if (child == 0) {
        /* Only raw system calls in a vfork child: it shares our memory. */
        struct timespec ts = {.tv_sec = (time_t)event_after,
                              .tv_nsec = (long)((event_after - (double)(time_t)event_after) * 1e9)};
        syscall(SYS_nanosleep, &ts, NULL);
        syscall(SYS_exit, 0);
    }
    if (child > 0)
        waitpid(child, NULL, 0);
    ssize_t r = write(STDOUT_FILENO, "vfork done\n", 11);
    (void)r;
    lifecycle_spin();
    return NULL;
}

static void
start(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0)
        exit(1);
}

int
main(int argc, char **argv)
{
    saved_argv = argv;
    const char *mode = argc > 1 ? argv[1] : "";
    if (argc > 2)
        event_after = atof(argv[2]);
    if (strcmp(mode, "after-exec") == 0) {
        alarm(TARGET_LIFETIME_SECONDS);
        printf("exec'd %d\n", (int)getpid());
        fflush(stdout);
        lifecycle_spin();
    } else if (strcmp(mode, "exec-thread") == 0) {
        start(spinner);
        start(exec_from_thread);
        target_ready();
        lifecycle_spin();
    } else if (strcmp(mode, "exec-sleeper") == 0) {
        start(spinner);
        start(exec_after_sleep);
        target_ready();
        for (;;)
            pause();
    } else if (strcmp(mode, "leader-exit") == 0) {
        start(spinner);
        start(spinner);
        target_ready();
        pthread_exit(NULL);
    } else if (strcmp(mode, "leader-exit-worker") == 0) {
        start(spin_then_return);
        start(pause_forever);
        target_ready();
        pthread_exit(NULL);
    } else if (strcmp(mode, "fork") == 0) {
        start(fork_children);
        target_ready();
        lifecycle_spin();
    } else if (strcmp(mode, "self-stop") == 0) {
        start(spinner);
        start(spinner);
        target_ready();
        burn_until_event();
        raise(SIGSTOP);
        printf("continued\n");
        fflush(stdout);
        lifecycle_spin();
    } else if (strcmp(mode, "vfork") == 0) {
        target_ready();
        start(vfork_and_wait);
        lifecycle_spin();
    }
    return 2;
}
