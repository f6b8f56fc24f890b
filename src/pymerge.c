#include "config.h"

#include "pymerge.h"

#include <stdlib.h>

#include "util.h"

struct PyMerge {
    Symbolizer *symbolizer;
    Symtab *symtab;
    uint64_t misaligned;
    FrameId *py_frames; /* resolved Python frames of one sample */
    bool *py_group_end;
};

PyMerge *
PyMerge_new(Symbolizer *symbolizer, Symtab *symtab)
{
    PyMerge *m = xcalloc(1, sizeof(*m));
    m->symbolizer = symbolizer;
    m->symtab = symtab;
    m->py_frames = xcalloc(PY_MAX_FRAMES, sizeof(FrameId));
    m->py_group_end = xcalloc(PY_MAX_FRAMES, sizeof(bool));
    return m;
}

void
PyMerge_delete(PyMerge *m)
{
    if (!m)
        return;
    free(m->py_frames);
    free(m->py_group_end);
    free(m);
}

uint64_t
PyMerge_misaligned(const PyMerge *m)
{
    return m->misaligned;
}

void
PyMerge_stack(PyMerge *m, const PyMergeInput *in, FrameBuf *out)
{
    const PyRawStack *raw = in->raw;
    size_t py_count = raw->count;
    for (size_t i = 0; i < py_count; i++) {
        m->py_frames[i] = PyFrames_resolve(in->python, &raw->frames[i], m->symtab);
        m->py_group_end[i] = raw->frames[i].group_end;
    }
    size_t py_next = 0;
    for (size_t i = 0; i < in->native_count; i++) {
        const UnwoundFrame *f = &in->pcs[i];
        uint64_t pc = f->exact ? f->pc : f->pc - 1;
        if (PyFrames_is_eval_pc(in->python, pc)) {
            if (py_next < py_count) {
                do
                    FrameBuf_push(out, m->py_frames[py_next], 0, 0, false);
                while (!m->py_group_end[py_next++] && py_next < py_count);
                continue;
            }
            if (!in->native_all)
                continue; /* an evaluation loop call with no Python frame left */
        } else if (PyFrames_is_interpreter_pc(in->python, pc) && !in->native_all &&
                   (i > 0 || !Symbolizer_has_name(m->symbolizer, f->pc, true))) {
            /* The leaf stays when it has a name: it explains the time. */
            continue;
        }
        FrameBuf_push_native(out, m->symbolizer, f);
    }
    if (py_next < py_count) {
        /* The native unwind ended early (or found fewer loop calls). */
        m->misaligned++;
        while (py_next < py_count)
            FrameBuf_push(out, m->py_frames[py_next++], 0, 0, false);
    }
}
