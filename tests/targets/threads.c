/* Four named threads, each spinning in its own function, plus main
 * waiting in pthread_join. "ready" comes once every worker is in its loop. */
#define _GNU_SOURCE
#include <pthread.h>

#include "common.h"

static volatile int started;

#define WORKER(name)                                                                               \
    __attribute__((noinline)) static void *name(void *arg)                                         \
    {                                                                                              \
        (void)arg;                                                                                 \
        __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);                                         \
        for (;;)                                                                                   \
            target_burn(1000);                                                                     \
        return NULL;                                                                               \
    }

WORKER(worker_alpha)
WORKER(worker_beta)
WORKER(worker_gamma)
WORKER(worker_delta)

int
main(void)
{
    void *(*fns[4])(void *) = {worker_alpha, worker_beta, worker_gamma, worker_delta};
    const char *names[4] = {"alpha", "beta", "gamma", "delta"};
    pthread_t tids[4];
    for (int i = 0; i < 4; i++) {
        if (pthread_create(&tids[i], NULL, fns[i], NULL) != 0)
            return 1;
        pthread_setname_np(tids[i], names[i]);
    }
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 4)
        usleep(1000);
    target_ready();
    for (int i = 0; i < 4; i++)
        pthread_join(tids[i], NULL);
    return 0;
}
