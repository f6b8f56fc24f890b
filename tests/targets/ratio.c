/* Spends a known share of its time in two functions: ratio_hot 3 parts,
 * then ratio_warm 1 part, over and over (75 % / 25 %), some 4 ms a round.
 * An optional argument gives the hot share in percent.
 *
 * The shares are counted in work, not read from a clock: both functions
 * run the same loop (the multiplier read at run time, so the compiler makes
 * the same code of both), and the hot one runs 3 times as many iterations.
 * A sampler sees a thread only while it runs (a preempted thread's stop
 * comes late and is not counted), so it is CPU time that must split 75/25.
 * Phases timed by the wall clock lost their deadlines to preemption on a
 * busy machine (ratio_hot measured 80 to 86 %), and the thread's CPU clock
 * is a system call that a sampler catches 2 to 3 % of the time. */
#include "common.h"

/* Iterations of one round (about 4 ms on a 3 GHz core). */
#define ROUND_ITERATIONS 12000000u

/* Read at run time: the two loops are the same code, at the same speed. */
static volatile unsigned ratio_multiplier[2] = {2654435761u, 40503u};

/* The work is written out in each function, so their own time is theirs. */
#define SPIN(iterations, which)                                                                    \
    do {                                                                                           \
        unsigned k = ratio_multiplier[which];                                                      \
        for (unsigned i = 0; i < (iterations); i++)                                                \
            target_sink += i * k;                                                                  \
    } while (0)

__attribute__((noinline)) static void
ratio_hot(unsigned iterations)
{
    SPIN(iterations, 0);
    target_sink++;
}

__attribute__((noinline)) static void
ratio_warm(unsigned iterations)
{
    SPIN(iterations, 1);
    target_sink++;
}

int
main(int argc, char **argv)
{
    double hot_share = argc > 1 ? atof(argv[1]) / 100.0 : 0.75;
    if (hot_share <= 0 || hot_share >= 1)
        return 2;
    unsigned hot = (unsigned)(ROUND_ITERATIONS * hot_share);
    target_ready();
    for (;;) {
        ratio_hot(hot);
        ratio_warm(ROUND_ITERATIONS - hot);
    }
    return 0;
}
