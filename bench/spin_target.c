/* The target of the overhead benchmark: THREADS threads (main is the first
 * of them) each recurse DEPTH calls deep and then do fixed work units of
 * pure arithmetic, counting them. It measures its own throughput: on every
 * SIGUSR1 the main thread prints
 *   mark NS UNITS
 * (CLOCK_MONOTONIC ns and the work units done by all threads so far), so
 * the rate over a window is the difference of two marks. Prints
 * "ready PID" once every thread spins; lives until killed (or for at most
 * LIFETIME seconds, default 900).
 *
 * usage: spin_target THREADS DEPTH [LIFETIME]
 *
 * The target is measured, not measuring: no allocation, no system call and
 * no shared cache line on the work path (each thread owns its counter's
 * line), so what slows it down is time it did not run or cache it lost. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_DEPTH 10000
#define DEFAULT_LIFETIME_S 900
/* Iterations per work unit: ~2-4 us, so a mark is answered quickly. */
#define UNIT_STEPS 2000
/* Bytes of locals per recursion level. */
#define FRAME_PAD 64

typedef struct Counter {
    uint64_t units;
    char pad[64 - sizeof(uint64_t)];
} __attribute__((aligned(64))) Counter;

static Counter counters[MAX_THREADS];
static int thread_count;
static int depth;
static uint64_t lifetime_ns;
static uint64_t start_ns;
static volatile sig_atomic_t mark_asked;
static volatile int ready_count;
static volatile uint64_t sink;

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
on_usr1(int sig)
{
    (void)sig;
    mark_asked = 1;
}

static void
print_mark(void)
{
    uint64_t total = 0;
    for (int i = 0; i < thread_count; i++)
        total += __atomic_load_n(&counters[i].units, __ATOMIC_RELAXED);
    printf("mark %" PRIu64 " %" PRIu64 "\n", now_ns(), total);
    fflush(stdout);
}

/* The bottom of the stack: work units until the lifetime is over. */
__attribute__((noinline)) static void
spin(int index)
{
    uint64_t x = (uint64_t)index * 0x9e3779b97f4a7c15u + 1;
    Counter *c = &counters[index];
    uint64_t units = 0;
    __atomic_fetch_add(&ready_count, 1, __ATOMIC_RELAXED);
    for (;;) {
        for (unsigned i = 0; i < UNIT_STEPS; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        units++;
        __atomic_store_n(&c->units, units, __ATOMIC_RELAXED);
        if (index == 0) {
            if (mark_asked) {
                mark_asked = 0;
                print_mark();
            }
            if ((units & 1023) == 0 && now_ns() - start_ns > lifetime_ns)
                break;
        } else if ((units & 1023) == 0 && now_ns() - start_ns > lifetime_ns) {
            break;
        }
    }
    sink = x;
}

__attribute__((noinline)) static void
descend(int index, int level)
{
    volatile char pad[FRAME_PAD];
    pad[0] = (char)level;
    if (level > 0)
        descend(index, level - 1);
    else
        spin(index);
    sink += (uint64_t)pad[0]; /* not a tail call */
}

static void *
worker(void *arg)
{
    descend((int)(intptr_t)arg, depth);
    return NULL;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: spin_target THREADS DEPTH [LIFETIME]\n");
        return 64;
    }
    thread_count = atoi(argv[1]);
    depth = atoi(argv[2]);
    long lifetime = argc > 3 ? atol(argv[3]) : DEFAULT_LIFETIME_S;
    if (thread_count < 1 || thread_count > MAX_THREADS || depth < 0 || depth > MAX_DEPTH ||
        lifetime < 1) {
        fprintf(stderr, "spin_target: THREADS 1..%d, DEPTH 0..%d, LIFETIME >= 1\n", MAX_THREADS,
                MAX_DEPTH);
        return 64;
    }
    lifetime_ns = (uint64_t)lifetime * 1000000000u;
    start_ns = now_ns();

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    pthread_t threads[MAX_THREADS];
    for (int i = 1; i < thread_count; i++) {
        int err = pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
        if (err) {
            fprintf(stderr, "spin_target: pthread_create: %s\n", strerror(err));
            return 1;
        }
    }
    /* Main says ready from its first work unit on, once the others spin. */
    while (__atomic_load_n(&ready_count, __ATOMIC_RELAXED) < thread_count - 1)
        usleep(1000);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    descend(0, depth);
    for (int i = 1; i < thread_count; i++)
        pthread_join(threads[i], NULL);
    return 0;
}
