/* All the code of one compiled function: the range its own FDE covers and
 * the ranges of the pieces the compiler split off it (GCC's hot/cold
 * partitioning under PGO moves blocks into a ".cold" piece far away, with
 * no symbol of its own; on Debian's python3.13 the evaluation loop's
 * bytecode handlers run there, 1.5 MB below _PyEval_EvalFrameDefault).
 * Found from the machine code and .eh_frame alone, so it works on binaries
 * stripped to .dynsym. */
#ifndef SPYTOP_SRC_CODEPIECES_H
#define SPYTOP_SRC_CODEPIECES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "images.h"

typedef struct CodeRange {
    uint64_t start, end;
} CodeRange;

/* The pieces of the function whose code holds addr, the one holding addr
 * first, at most max. A piece is an FDE that a direct jump of the function
 * reaches, that does not start as a function starts (it is the middle of
 * the function's frame, not a tail call), and that jumps back into the
 * function. Returns the count: 0 when no FDE covers addr. Reads the
 * function's code once: for set-up, not for the sampling path. */
size_t CodePieces_find(Images *images, uint64_t addr, CodeRange *out, size_t max);

/* Whether addr lies in one of the count ranges. */
static inline bool
CodePieces_contain(const CodeRange *ranges, size_t count, uint64_t addr)
{
    for (size_t i = 0; i < count; i++)
        if (addr >= ranges[i].start && addr < ranges[i].end)
            return true;
    return false;
}

#endif
