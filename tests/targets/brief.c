/* A short-lived command for `spytop -- COMMAND`: spins in brief_hot for
 * the given milliseconds (default 300), timed by the monotonic clock, then
 * exits with the given status (default 0). Launched, not attached to: it
 * prints no "ready". The work is written out in brief_hot, so its time is
 * its own. */
#include "common.h"

__attribute__((noinline)) static void
brief_hot(double deadline)
{
    do {
        for (unsigned i = 0; i < 20000; i++)
            target_sink += i * 2654435761u;
    } while (target_now() < deadline);
}

int
main(int argc, char **argv)
{
    double ms = argc > 1 ? atof(argv[1]) : 300;
    int status = argc > 2 ? atoi(argv[2]) : 0;
    brief_hot(target_now() + ms / 1000.0);
    return status;
}
