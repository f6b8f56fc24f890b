/* The target of the dump benchmark: four named worker threads a few calls
 * deep, two spinning and two blocked (in nanosleep and in a condition
 * wait), plus main in pthread_join. Prints "ready PID", then lives until
 * killed (or for at most 10 minutes). */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define LIFETIME_SECONDS 600

static volatile uint64_t sink;
static volatile int stop; /* never set: keeps the compiler from calling the loops endless */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

__attribute__((noinline)) static void
burn(void)
{
    for (unsigned i = 0; i < 100000; i++)
        sink += i * 2654435761u;
}

__attribute__((noinline)) static void
nap(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void
wait_forever(void)
{
    pthread_mutex_lock(&lock);
    while (!stop)
        pthread_cond_wait(&never, &lock);
    pthread_mutex_unlock(&lock);
}

/* A few frames of depth above each leaf. */
__attribute__((noinline)) static void
nest(int level, void (*leaf)(void))
{
    if (level > 0)
        nest(level - 1, leaf);
    else
        while (!stop)
            leaf();
    sink++; /* not a tail call */
}

static void *
spinner_one(void *arg)
{
    (void)arg;
    nest(4, burn);
    return NULL;
}

static void *
spinner_two(void *arg)
{
    (void)arg;
    nest(8, burn);
    return NULL;
}

static void *
sleeper(void *arg)
{
    (void)arg;
    nest(6, nap);
    return NULL;
}

static void *
waiter(void *arg)
{
    (void)arg;
    nest(2, wait_forever);
    return NULL;
}

int
main(void)
{
    void *(*fns[4])(void *) = {spinner_one, spinner_two, sleeper, waiter};
    const char *names[4] = {"spin1", "spin2", "sleeper", "waiter"};
    pthread_t tids[4];
    alarm(LIFETIME_SECONDS);
    for (int i = 0; i < 4; i++) {
        if (pthread_create(&tids[i], NULL, fns[i], NULL) != 0) {
            fprintf(stderr, "dump_target: pthread_create failed\n");
            return 2;
        }
        pthread_setname_np(tids[i], names[i]);
    }
    printf("ready %d\n", (int)getpid());
    if (fflush(stdout) != 0)
        return 2;
    for (int i = 0; i < 4; i++)
        pthread_join(tids[i], NULL);
    return 0;
}
