/* Python and native frames of one sample as one stack, innermost first,
 * with the own time where a Python user expects it.
 *
 * Each native frame is put in one of four classes:
 *   eval         a call of the evaluation loop (PyFrames_is_eval_pc);
 *   interpreter  anywhere else in the interpreter's module (libpython, or
 *                the python executable when it holds the runtime), and a
 *                python executable in front of a shared libpython (a
 *                module whose file name starts with "python");
 *   runtime      the C runtime the interpreter runs on: libc, libm,
 *                libpthread, libdl, librt, libutil, libgcc_s, the dynamic
 *                loader, the vDSO (by the module's file name);
 *   other        extension modules, C libraries, code in no module.
 *
 * Alignment. Each eval frame stands for one group of Python frames (one
 * loop call: one frame before 3.11, up to the next entry frame from 3.11)
 * and is replaced by them, innermost eval with innermost group. The counts
 * match (E evals, G groups) when E == G; also accepted: E == G + 1 with a
 * complete Python walk (a loop call entering or leaving, its frame not yet
 * or no longer linked: the innermost eval has no group and goes), and
 * fewer evals than groups when the native unwind stopped early (the groups
 * left go outermost), or more when the Python walk did (the evals left go).
 * Anything else is misaligned: the sample is shown as its Python stack with
 * the native leaf frames (those inside the innermost eval, or, with none,
 * inside the first interpreter frame) under its innermost Python frame, and
 * counted. Python frames never hang under _start.
 *
 * Own time. Unless --native, the interpreter's own code goes: interpreter
 * frames, and a run of runtime frames the interpreter called (the frame
 * that called the run is an interpreter or eval frame; for the outermost
 * run, the frame it called is: _start, thread start-up): malloc, memcpy,
 * clock_gettime and __tls_get_addr under the interpreter are the Python
 * code's time. One exception: the innermost run stays when the thread was
 * stopped in a system call (the blocking call under time.sleep, a read,
 * a lock wait): it says what the thread waits for. Extension modules and C
 * libraries stay, and so does the runtime they call. So the own time of a
 * sample goes to its innermost Python frame unless the thread is in an
 * extension, a library, or blocked. --native keeps every native frame (the
 * eval frames replaced by their Python frames).
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
    UnwindEnd native_end; /* how the native unwind ended */
    bool blocked;         /* the thread was stopped in a system call */
    bool native_all;      /* --native: keep every native frame */
} PyMergeInput;

/* Appends the merged stack to out. Returns false when the sample was
 * misaligned (and counts it). */
bool PyMerge_stack(PyMerge *merge, const PyMergeInput *in, FrameBuf *out);

/* Samples so far whose Python and native frames did not line up. */
uint64_t PyMerge_misaligned(const PyMerge *merge);

/* The decision itself, apart from reading anything (for tests). */
typedef enum PyMergeClass {
    PYMERGE_EVAL,
    PYMERGE_INTERPRETER,
    PYMERGE_RUNTIME,
    PYMERGE_OTHER,
} PyMergeClass;

typedef struct PyMergePlanInput {
    const uint8_t *native; /* a PyMergeClass per native frame, innermost first */
    size_t native_count;
    bool native_complete;  /* the unwind reached the outermost frame */
    const bool *group_end; /* per Python frame: the outermost of its group */
    size_t py_count;       /* > 0 */
    bool py_complete;      /* the walk reached the first frame */
    bool blocked;
    bool native_all;
} PyMergePlanInput;

/* One frame of the merged stack: native frame index, or Python frame index. */
typedef struct PyMergeStep {
    uint32_t index;
    bool python;
} PyMergeStep;

/* Writes the merged stack as steps (at most native_count + py_count) and
 * returns their number; *misaligned tells how it was made. */
size_t PyMerge_plan(const PyMergePlanInput *in, PyMergeStep *steps, bool *misaligned);

/* The class of native code in a module outside the interpreter's own range,
 * by its path or file name: runtime, interpreter (a python executable in
 * front of a shared libpython), or other. */
PyMergeClass PyMerge_module_class(const char *path);

#endif
