#include "config.h"

#include "report_frames.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
ReportFrames_init(ReportFrames *rf, const Symtab *symtab, const ReportPick *picks, size_t npicks,
                  const ReportOptions *options)
{
    bool by_line = options->by_line;
    memset(rf, 0, sizeof(*rf));
    rf->names = Symtab_new();
    size_t nframes = Symtab_frame_count(symtab);
    rf->index = xreallocarray(NULL, nframes ? nframes : 1, sizeof(uint32_t));
    for (size_t i = 0; i < nframes; i++)
        rf->index[i] = UINT32_MAX;
    size_t cap = 0;
    for (size_t i = 0; i < npicks; i++) {
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, picks[i].sample->stack, &depth);
        for (size_t k = 0; k < depth; k++) {
            FrameId f = frames[k];
            if (rf->index[f] != UINT32_MAX)
                continue;
            const SymtabFrame *sf = Symtab_frame(symtab, f);
            char *name = Report_frame_name(symtab, f, by_line, options->full_paths);
            SymtabFrame key = {
                .function = Symtab_intern_cstr(rf->names, name),
                .file = Symtab_intern_cstr(rf->names, Symtab_string(symtab, sf->file)),
                .line = by_line ? sf->line : 0,
                .kind = sf->kind == FRAME_PYTHON ? FRAME_PYTHON : FRAME_NATIVE,
            };
            free(name);
            uint32_t n = Symtab_intern_frame(rf->names, &key);
            rf->index[f] = n;
            if (n >= cap) {
                size_t old = cap;
                rf->lines = xgrow(rf->lines, &cap, (size_t)n + 1, sizeof(uint32_t));
                memset(rf->lines + old, 0, (cap - old) * sizeof(uint32_t));
            }
            if (sf->line && (!rf->lines[n] || sf->line < rf->lines[n]))
                rf->lines[n] = sf->line;
        }
    }
    rf->count = Symtab_frame_count(rf->names);
}

void
ReportFrames_done(ReportFrames *rf)
{
    Symtab_delete(rf->names);
    free(rf->index);
    free(rf->lines);
    memset(rf, 0, sizeof(*rf));
}

const char *
ReportFrames_name(const ReportFrames *rf, uint32_t n)
{
    return Symtab_string(rf->names, Symtab_frame(rf->names, n)->function);
}

const char *
ReportFrames_file(const ReportFrames *rf, uint32_t n)
{
    return Symtab_string(rf->names, Symtab_frame(rf->names, n)->file);
}

uint32_t
ReportFrames_line(const ReportFrames *rf, uint32_t n)
{
    return rf->lines[n];
}

bool
ReportFrames_is_python(const ReportFrames *rf, uint32_t n)
{
    return Symtab_frame(rf->names, n)->kind == FRAME_PYTHON;
}
