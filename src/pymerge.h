/* Python and native frames of one sample as one stack, innermost first.
 * Each native frame of the evaluation loop stands for one group of Python
 * frames (one loop call) and is replaced by them; the interpreter's other
 * internals go unless asked for (--native) or the thread is in one right
 * now (the leaf: it explains where the time goes); extensions and
 * libraries stay. When the counts do not line up the sample is kept: the
 * remaining Python frames go outermost, and the mismatch is counted.
 *
 * Runs after the thread resumed. Owns its scratch buffers; borrows the
 * symbolizer and the symtab, which must outlive it. */
#ifndef SPYTOP_SRC_PYMERGE_H
#define SPYTOP_SRC_PYMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framebuf.h"
#include "pyframes.h"
#include "symbolizer.h"
#include "symtab.h"
#include "unwinder.h"

typedef struct PyMerge PyMerge;

PyMerge *PyMerge_new(Symbolizer *symbolizer, Symtab *symtab);
void PyMerge_delete(PyMerge *merge);

/* One sample's frames, as the native unwind and the Python walk found
 * them. python reads the interpreter that raw came from. */
typedef struct PyMergeInput {
    PyFrames *python;
    const PyRawStack *raw;
    const UnwoundFrame *pcs; /* innermost first */
    size_t native_count;
    bool native_all; /* --native: keep every native frame */
} PyMergeInput;

/* Appends the merged stack to out. */
void PyMerge_stack(PyMerge *merge, const PyMergeInput *in, FrameBuf *out);

/* Samples so far whose Python and native frames did not line up. */
uint64_t PyMerge_misaligned(const PyMerge *merge);

#endif
