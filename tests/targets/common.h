/* Shared by the test targets: announce readiness, spin without being
 * optimised away, and stay alive for a bounded time. */
#ifndef SPYTOP_TESTS_TARGETS_COMMON_H
#define SPYTOP_TESTS_TARGETS_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Every target exits by itself after this long, so a broken test never
 * leaves one behind. */
#define TARGET_LIFETIME_SECONDS 300

static volatile uint64_t target_sink;

static inline void
target_ready(void)
{
    alarm(TARGET_LIFETIME_SECONDS);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
}

static inline void
target_burn(unsigned iterations)
{
    for (unsigned i = 0; i < iterations; i++)
        target_sink += i * 2654435761u;
}

static inline double
target_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
