/* Spends a known share of its time in two functions: ratio_hot for 3 ms,
 * then ratio_warm for 1 ms, over and over (75 % / 25 %), timed by the
 * monotonic clock so the shares hold whatever the CPU speed. The clock is
 * read rarely and through the vDSO: a system call in the loop (the thread
 * CPU clock) would draw the scheduler's preemptions to itself on a busy
 * machine, and with them the samples. An optional argument gives the hot
 * share in percent. */
#include "common.h"

/* The work is written out in each function, so their own time is theirs;
 * different constants keep the compiler from folding the two into one. */
#define SPIN_UNTIL(end, k)                                                                         \
    do {                                                                                           \
        for (unsigned i = 0; i < 200000; i++)                                                      \
            target_sink += i * (k);                                                                \
    } while (target_now() < (end))

__attribute__((noinline)) static void
ratio_hot(double seconds)
{
    double end = target_now() + seconds;
    SPIN_UNTIL(end, 2654435761u);
    target_sink++;
}

__attribute__((noinline)) static void
ratio_warm(double seconds)
{
    double end = target_now() + seconds;
    SPIN_UNTIL(end, 40503u);
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
    for (;;) {
        ratio_hot(period * hot_share);
        ratio_warm(period * (1 - hot_share));
    }
    return 0;
}
