/* Stacks an unwinder must not trust. Modes (argv[1]):
 *   smash  a function overwrites its own return address with a pointer into
 *          the heap (readable, not executable), then spins;
 *   loop   it points its saved frame pointer and return address at itself
 *          (a cycle), then spins;
 *   zero   the return address is 0;
 *   chain  a thread with a 64 MiB stack forges 1,000,000 frames on it,
 *          each a saved frame pointer to the next and a real return
 *          address, and spins with rbp at the first: an unwinder that
 *          believes it walks a million frames;
 *   wild   the stack pointer and frame pointer point at unmapped memory
 *          while the thread spins.
 * Built -O0 with frame pointers, so the slots are where rbp says. */
#include <pthread.h>
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

#define FORGED_FRAMES 1000000

/* Never returns: spins in assembly with rbp (and for "wild", rsp) set, so
 * no compiled code needs them. */
__attribute__((noinline, noreturn)) static void
spin_with(uintptr_t rbp, uintptr_t rsp)
{
    if (rsp)
        __asm__ volatile("mov %0, %%rbp\n\tmov %1, %%rsp\n1:\n\tpause\n\tjmp 1b"
                         :
                         : "r"(rbp), "r"(rsp));
    __asm__ volatile("mov %0, %%rbp\n1:\n\tpause\n\tjmp 1b" : : "r"(rbp));
    __builtin_unreachable();
}

__attribute__((noinline)) static void *
forge_chain(void *arg)
{
    (void)arg;
    /* Frame i: [0] the next frame, [1] a return address in this very
     * function (its unwind rule is rbp-based again). */
    uintptr_t *frames = __builtin_alloca((size_t)FORGED_FRAMES * 2 * sizeof(uintptr_t));
    uintptr_t ret = (uintptr_t)__builtin_return_address(0);
    for (size_t i = 0; i < FORGED_FRAMES; i++) {
        frames[2 * i] = i + 1 < FORGED_FRAMES ? (uintptr_t)&frames[2 * (i + 1)] : 0;
        frames[2 * i + 1] = ret;
    }
    target_ready();
    spin_with((uintptr_t)frames, 0);
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "chain") == 0) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64u << 20);
        pthread_t t;
        if (pthread_create(&t, &attr, forge_chain, NULL) != 0)
            return 1;
        pthread_join(t, NULL);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "wild") == 0) {
        target_ready();
        spin_with(0x10000, 0x10000); /* below mmap_min_addr: never mapped */
    }
    heap_block = malloc(4096);
    memset(heap_block, 0x41, 4096);
    hostile_spin(argc > 1 ? argv[1] : "smash");
    return 0;
}
