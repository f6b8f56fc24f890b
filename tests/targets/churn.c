/* Creates and joins short-lived threads as fast as it can, so threads
 * vanish while they are being sampled. */
#include <pthread.h>

#include "common.h"

static void *
short_life(void *arg)
{
    target_burn(2000);
    return arg;
}

int
main(void)
{
    target_ready();
    for (;;) {
        pthread_t t[8];
        int n = 0;
        for (int i = 0; i < 8; i++)
            if (pthread_create(&t[n], NULL, short_life, NULL) == 0)
                n++;
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
    }
    return 0;
}
