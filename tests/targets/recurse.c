/* A 200-deep recursion (depth from argv[1]) whose leaf sleeps or spins
 * (argv[2] = "spin"). */
#include <string.h>

#include "common.h"

static int spinning;

__attribute__((noinline)) static void
recurse_leaf(void)
{
    target_ready();
    for (;;) {
        if (spinning)
            target_burn(1000);
        else
            usleep(100000);
    }
}

__attribute__((noinline)) int recurse(int depth);

__attribute__((noinline)) int
recurse(int depth)
{
    if (depth <= 1)
        recurse_leaf();
    else
        recurse(depth - 1);
    return (int)target_sink + depth; /* not a tail call */
}

int
main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 200;
    spinning = argc > 2 && strcmp(argv[2], "spin") == 0;
    return recurse(depth);
}
