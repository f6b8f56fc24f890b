/* The FDEs of a module's .eh_frame, read from its file image (images.h)
 * through the .eh_frame_hdr search table: which code one FDE covers, and
 * whether that code starts the way a function does. Every compiled piece
 * of code has its FDE, also in a binary stripped to .dynsym, and also the
 * pieces a compiler split off a function (GCC's ".cold" parts), which have
 * no symbol of their own. */
#ifndef SPYTOP_SRC_EHFRAME_H
#define SPYTOP_SRC_EHFRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "images.h"

typedef struct EhFrameFde {
    uint64_t start, end; /* the code it covers, in the target */
    /* Its first row is a function's entry state: the CFA is the stack
     * pointer plus the return address, no other register saved yet. A piece
     * split off a function starts in the middle of that function's frame. */
    bool entry_state;
} EhFrameFde;

/* The FDE whose code holds pc. 0, -ENOENT (no unwind table or no FDE
 * there), -EINVAL (an FDE spytop cannot read). */
int EhFrame_find(Images *images, uint64_t pc, EhFrameFde *out);

#endif
