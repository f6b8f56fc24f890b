/* Stacks an unwinder must not trust. Modes (argv[1]):
 *   smash  a function overwrites its own return address with a pointer into
 *          the heap (readable, not executable), then spins;
 *   loop   it points its saved frame pointer and return address at itself
 *          (a cycle), then spins;
 *   zero   the return address is 0.
 * Built -O0 with frame pointers, so the slots are where rbp says. */
#include <string.h>

#include "common.h"

static void *heap_block;

__attribute__((noinline)) static void
hostile_spin(const char *mode)
{
    uintptr_t *frame = __builtin_frame_address(0);
    /* frame[0]: the caller's rbp; frame[1]: the return address. */
    if (strcmp(mode, "smash") == 0) {
        frame[1] = (uintptr_t)heap_block;
    } else if (strcmp(mode, "loop") == 0) {
        frame[0] = (uintptr_t)frame;
        frame[1] = (uintptr_t)__builtin_return_address(0);
    } else {
        frame[1] = 0;
    }
    target_ready();
    for (;;)
        target_burn(1000);
}

int
main(int argc, char **argv)
{
    heap_block = malloc(4096);
    memset(heap_block, 0x41, 4096);
    hostile_spin(argc > 1 ? argv[1] : "smash");
    return 0;
}
