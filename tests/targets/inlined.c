/* Built -O2 -fomit-frame-pointer: unwinding needs CFI, and the call chain
 * holds inlined frames: main -> cfi_outer -> (inlined) cfi_step ->
 * (inlined) cfi_kernel, with cfi_outer spinning forever. Also built
 * stripped, with its debug info in a separate file found by debuglink. */
#include "common.h"

static inline __attribute__((always_inline)) uint64_t
cfi_kernel(uint64_t x)
{
    for (int i = 0; i < 64; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    target_sink = x;
    return x;
}

static inline __attribute__((always_inline)) uint64_t
cfi_step(uint64_t x)
{
    x = cfi_kernel(x ^ 0x9e3779b97f4a7c15ull);
    return x + 1;
}

__attribute__((noinline)) void cfi_outer(uint64_t seed);

__attribute__((noinline)) void
cfi_outer(uint64_t seed)
{
    for (;;)
        seed = cfi_step(seed);
}

int
main(void)
{
    target_ready();
    cfi_outer((uint64_t)getpid());
    return 0;
}
