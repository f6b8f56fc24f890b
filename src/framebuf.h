/* The frames of one sample while it is built, innermost first: the symtab
 * frames (what is interned as the stack) and, beside each, what only a dump
 * shows (its address and the offset into its symbol or module). The
 * session owns one and reuses it for every sample. */
#ifndef SPYTOP_SRC_FRAMEBUF_H
#define SPYTOP_SRC_FRAMEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "symbolizer.h"
#include "symtab.h"
#include "unwinder.h"

typedef struct FrameBuf {
    FrameId *frames;   /* count of them */
    TraceFrame *trace; /* the same, with addresses */
    size_t count, cap;
} FrameBuf;

void FrameBuf_init(FrameBuf *buf);
void FrameBuf_done(FrameBuf *buf);
/* Empties it for the next sample (the memory stays). */
void FrameBuf_clear(FrameBuf *buf);
void FrameBuf_push(FrameBuf *buf, FrameId id, uint64_t pc, uint64_t offset, bool offset_in_module);
/* The frames (inlined ones first) of one native frame. */
void FrameBuf_push_native(FrameBuf *buf, Symbolizer *symbolizer, const UnwoundFrame *pc);

#endif
