/* The names target's library: one hot function with a hostile symbol name,
 * loaded with dlopen from a path the test chooses. */
#include "common.h"
#include "names.h"

__attribute__((noinline)) void names_lib_hot(void) __asm__("\"" NAMES_LIB_SYMBOL "\"");

void
names_lib_hot(void)
{
    for (;;)
        target_sink++;
}
