/* Many threads that sleep and a few that run, like a service's thread
 * pools. Sleepers are spread over five ways of blocking, each in its own
 * function and named after it (comm): "pause", "nanosleep", "condvar",
 * "piperead", "epoll". Options:
 *   -n N   sleepers (default 200)
 *   -b N   busy threads spinning in busy_spin, named "busy" (default 2)
 *   -w     a thread named "wave" at 50 Hz: sleeps 10 ms, spins 10 ms in
 *          wave_spin
 *   -m     a thread named "mover": blocks in mover_first_wait (read); each
 *          SIGUSR1 makes it run mover_work for 50 ms, then block in the
 *          other of mover_second_wait (poll) / mover_first_wait
 *   -c N   churn: N threads alive at any time (named "churn"), each sleeping
 *          200 to 1000 ms, then starting its replacement and exiting
 *   -r     relay: one thread at a time named "relay" spins 300 ms in
 *          relay_spin, starts its successor and exits; each prints
 *          "relay TID" on stdout as it starts (the thread count stays the
 *          same while one hands over to the next)
 *   -l     late: at SIGUSR2, one more thread named "late" prints
 *          "late TID" on stdout and sleeps in pause_wait
 * "ready PID" comes once every thread has reached its loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>

#include "common.h"

static volatile int started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int sleep_pipe[2], mover_pipe[2];
static int epoll_fd;

static void
note_started(void)
{
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) static void
pause_wait(void)
{
    for (;;)
        pause();
}

__attribute__((noinline)) static void
nanosleep_wait(void)
{
    for (;;) {
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
    }
}

__attribute__((noinline)) static void
condvar_wait(void)
{
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
}

__attribute__((noinline)) static void
piperead_wait(void)
{
    char c;
    for (;;)
        if (read(sleep_pipe[0], &c, 1) == 0)
            pause();
}

__attribute__((noinline)) static void
epoll_wait_loop(void)
{
    struct epoll_event ev;
    for (;;)
        epoll_wait(epoll_fd, &ev, 1, -1);
}

static void *
sleeper(void *arg)
{
    note_started();
    switch ((long)arg % 5) {
    case 0:
        pause_wait();
        break;
    case 1:
        nanosleep_wait();
        break;
    case 2:
        condvar_wait();
        break;
    case 3:
        piperead_wait();
        break;
    default:
        epoll_wait_loop();
        break;
    }
    return NULL;
}

__attribute__((noinline)) static void
busy_spin(void)
{
    for (;;)
        target_burn(1000);
}

static void *
busy(void *arg)
{
    note_started();
    busy_spin();
    return arg;
}

__attribute__((noinline)) static void
wave_spin(double until)
{
    while (target_now() < until)
        target_burn(1000);
}

static void *
wave(void *arg)
{
    note_started();
    for (;;) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        wave_spin(target_now() + 0.010);
    }
    return arg;
}

__attribute__((noinline)) static void
mover_work(void)
{
    double until = target_now() + 0.050;
    while (target_now() < until)
        target_burn(1000);
}

__attribute__((noinline)) static int
mover_first_wait(void)
{
    char c;
    return (int)read(mover_pipe[0], &c, 1);
}

/* Blocks in another system call than mover_first_wait, so that the two
 * can never be folded into one function. */
__attribute__((noinline)) static int
mover_second_wait(void)
{
    struct pollfd p = {.fd = mover_pipe[0], .events = POLLIN};
    char c;
    if (poll(&p, 1, -1) < 1)
        return 0;
    return (int)read(mover_pipe[0], &c, 1);
}

static void *
mover(void *arg)
{
    note_started();
    for (;;) {
        while (mover_first_wait() <= 0)
            ;
        mover_work();
        while (mover_second_wait() <= 0)
            ;
        mover_work();
    }
    return arg;
}

static void
on_usr1(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(mover_pipe[1], "m", 1) < 0) {
        /* nothing to do: the test sees the mover did not move */
    }
    errno = saved;
}

static volatile sig_atomic_t late_asked;

static void
on_usr2(int sig)
{
    (void)sig;
    late_asked = 1;
}

static pthread_attr_t churn_attr;
static unsigned churn_seed = 1;

static void *churn_life(void *arg);

static void
churn_start(void)
{
    pthread_t t;
    while (pthread_create(&t, &churn_attr, churn_life, NULL) != 0)
        usleep(1000);
}

static void *
churn_life(void *arg)
{
    unsigned seed = __atomic_add_fetch(&churn_seed, 2654435761u, __ATOMIC_RELAXED);
    pthread_setname_np(pthread_self(), "churn");
    long ms = 200 + (long)(seed % 801);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    churn_start();
    return arg;
}

static int start(void *(*fn)(void *), void *arg, const char *name);

static void *
late(void *arg)
{
    printf("late %ld\n", (long)gettid());
    fflush(stdout);
    pause_wait();
    return arg;
}

__attribute__((noinline)) static void
relay_spin(void)
{
    double until = target_now() + 0.300;
    while (target_now() < until)
        target_burn(1000);
}

static void *
relay(void *arg)
{
    printf("relay %ld\n", (long)gettid());
    fflush(stdout);
    relay_spin();
    start(relay, NULL, "relay");
    return arg;
}

static int
start(void *(*fn)(void *), void *arg, const char *name)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Small stacks: 2,000 sleepers fit in any address space. */
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int err = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (err) {
        fprintf(stderr, "sleepers: pthread_create: %s\n", strerror(err));
        return -1;
    }
    pthread_setname_np(t, name);
    return 0;
}

int
main(int argc, char **argv)
{
    long sleepers = 200, busy_count = 2, churn = 0;
    int with_wave = 0, with_mover = 0, with_relay = 0, with_late = 0, opt;
    while ((opt = getopt(argc, argv, "n:b:wmc:rl")) != -1) {
        switch (opt) {
        case 'n':
            sleepers = strtol(optarg, NULL, 10);
            break;
        case 'b':
            busy_count = strtol(optarg, NULL, 10);
            break;
        case 'w':
            with_wave = 1;
            break;
        case 'm':
            with_mover = 1;
            break;
        case 'c':
            churn = strtol(optarg, NULL, 10);
            break;
        case 'r':
            with_relay = 1;
            break;
        case 'l':
            with_late = 1;
            break;
        default:
            fprintf(stderr, "usage: sleepers [-n N] [-b N] [-w] [-m] [-c N] [-r] [-l]\n");
            return 2;
        }
    }
    if (pipe(sleep_pipe) < 0 || pipe(mover_pipe) < 0 || (epoll_fd = epoll_create1(0)) < 0) {
        perror("sleepers");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    /* SIGUSR1 and SIGUSR2 reach the main thread only: a sleeper they woke
     * would count as a wake-up the profiler caused. */
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigaddset(&usr, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr, NULL);
    static const char *const kinds[] = {"pause", "nanosleep", "condvar", "piperead", "epoll"};
    long want = 0;
    for (long i = 0; i < sleepers; i++, want++)
        if (start(sleeper, (void *)i, kinds[i % 5]) < 0)
            return 1;
    for (long i = 0; i < busy_count; i++, want++)
        if (start(busy, NULL, "busy") < 0)
            return 1;
    if (with_wave && start(wave, NULL, "wave") == 0)
        want++;
    if (with_mover && start(mover, NULL, "mover") == 0)
        want++;
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < want)
        usleep(1000);
    pthread_attr_init(&churn_attr);
    pthread_attr_setstacksize(&churn_attr, 64 << 10);
    pthread_attr_setdetachstate(&churn_attr, PTHREAD_CREATE_DETACHED);
    for (long i = 0; i < churn; i++)
        churn_start();
    pthread_sigmask(SIG_UNBLOCK, &usr, NULL);
    /* Let every sleeper reach its blocking call before the test looks. */
    usleep(100 * 1000);
    target_ready();
    if (with_relay)
        start(relay, NULL, "relay");
    if (with_late) {
        while (!late_asked)
            pause();
        start(late, NULL, "late");
    }
    pause_wait();
    return 0;
}
