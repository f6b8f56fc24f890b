/* A known call chain: main -> chain_outer -> chain_middle -> chain_inner,
 * where chain_inner spins (or sleeps with "sleep" as argument). Built
 * -O0 -g: every function keeps its frame. An optional second argument
 * becomes the thread name (which may hold any bytes). */
#include <string.h>
#include <sys/prctl.h>

#include "common.h"

static int sleeping;

__attribute__((noinline)) static void
chain_inner(void)
{
    for (;;) {
        if (sleeping)
            sleep(3600); /* one long wait: no wake-ups a sample could catch */
        else
            target_burn(1000);
    }
}

__attribute__((noinline)) static void
chain_middle(void)
{
    chain_inner();
    target_sink++;
}

__attribute__((noinline)) void chain_outer(void);

__attribute__((noinline)) void
chain_outer(void)
{
    chain_middle();
    target_sink++;
}

int
main(int argc, char **argv)
{
    sleeping = argc > 1 && strcmp(argv[1], "sleep") == 0;
    if (argc > 2)
        prctl(PR_SET_NAME, argv[2], 0, 0, 0);
    target_ready();
    chain_outer();
    return 0;
}
