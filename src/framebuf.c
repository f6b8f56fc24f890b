#include "config.h"

#include "framebuf.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
FrameBuf_init(FrameBuf *buf)
{
    memset(buf, 0, sizeof(*buf));
}

void
FrameBuf_done(FrameBuf *buf)
{
    free(buf->frames);
    free(buf->trace);
    memset(buf, 0, sizeof(*buf));
}

void
FrameBuf_clear(FrameBuf *buf)
{
    buf->count = 0;
}

void
FrameBuf_push(FrameBuf *buf, FrameId id, uint64_t pc, uint64_t offset, bool offset_in_module)
{
    if (buf->count == buf->cap) {
        size_t cap = buf->cap;
        buf->frames = xgrow(buf->frames, &cap, buf->count + 1, sizeof(FrameId));
        buf->trace = xgrow(buf->trace, &buf->cap, buf->count + 1, sizeof(TraceFrame));
    }
    buf->frames[buf->count] = id;
    buf->trace[buf->count] = (TraceFrame){id, pc, offset, offset_in_module};
    buf->count++;
}

void
FrameBuf_push_native(FrameBuf *buf, Symbolizer *symbolizer, const UnwoundFrame *pc)
{
    SymbolizedPc sym;
    Symbolizer_lookup(symbolizer, pc->pc, pc->exact, &sym);
    for (size_t k = 0; k < sym.count; k++)
        FrameBuf_push(buf, sym.frames[k], pc->pc, sym.offset, sym.offset_in_module);
}
