/* Spends a known share of its time in two functions: ratio_hot for 3 ms,
 * then ratio_warm for 1 ms, over and over (75 % / 25 %), timed by the
 * thread's CPU clock so the shares hold whatever the CPU speed. An optional
 * argument gives the hot share in percent.
 *
 * Each phase runs until an absolute deadline on one timeline, so the time
 * one phase overruns its deadline (the last chunk of work, a preemption)
 * is taken from the next phase instead of adding to both: the long-run
 * shares are exact. A fixed 3 ms / 1 ms split, each overrunning by half a
 * chunk, measured 72.4 % instead of 75 % on its own, without any profiler.
 *
 * CPU time, not wall time: a sampler sees the thread only while it runs
 * (a preempted thread's stop comes late and is not counted). On a busy
 * machine a phase preempted near its end lost its wall-clock deadline to
 * the next one, and the other way round far less often: ratio_hot measured
 * 80 to 86 %. The CPU clock is a system call (about 1.5 us), so it is read
 * once per chunk of some 300 us: its own share stays under half a point. */
#include "common.h"

/* About 300 us of work on a 3 GHz core. */
#define CHUNK_ITERATIONS 1000000

static double
cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The work is written out in each function, so their own time is theirs;
 * different constants keep the compiler from folding the two into one. */
#define SPIN_UNTIL(deadline, k)                                                                    \
    do {                                                                                           \
        for (unsigned i = 0; i < CHUNK_ITERATIONS; i++)                                            \
            target_sink += i * (k);                                                                \
    } while (cpu_now() < (deadline))

__attribute__((noinline)) static void
ratio_hot(double deadline)
{
    SPIN_UNTIL(deadline, 2654435761u);
    target_sink++;
}

__attribute__((noinline)) static void
ratio_warm(double deadline)
{
    SPIN_UNTIL(deadline, 40503u);
    target_sink++;
}

int
main(int argc, char **argv)
{
    double hot_share = argc > 1 ? atof(argv[1]) / 100.0 : 0.75;
    if (hot_share <= 0 || hot_share >= 1)
        return 2;
    const double period = 0.004;
    target_ready();
    double start = cpu_now();
    for (;;) {
        ratio_hot(start + period * hot_share);
        ratio_warm(start + period);
        start += period;
        /* After a long overrun start afresh rather than race through
         * the missed periods. */
        double now = cpu_now();
        if (now > start + period)
            start = now;
    }
    return 0;
}
