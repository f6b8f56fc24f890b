#include "config.h"

#include "pymerge.h"

#include <stdlib.h>
#include <string.h>

#include "hashindex.h"
#include "util.h"

/* The runtime's modules, by the start of their file names. */
static const char *const runtime_prefixes[] = {
    "libc.so",  "libc-2.",  "libc.musl", "libm.so",  "libm-2.",    "libmvec.so", "libpthread",
    "libdl.so", "libdl-2.", "librt.so",  "librt-2.", "libutil.so", "libutil-2.", "libgcc_s.so",
    "ld-linux", "ld-musl",  "ld64.so",   "ld-2.",    "[vdso]",
};

struct PyMerge {
    Symbolizer *symbolizer;
    Symtab *symtab;
    uint64_t misaligned;
    FrameId *py_frames; /* resolved Python frames of one sample */
    bool *py_group_end;
    uint8_t *classes; /* of the native frames of one sample */
    PyMergeStep *steps;
    /* The class of each module seen, by its path's StrId. */
    HashIndex module_index;
    uint8_t *module_classes;
    size_t module_count, module_cap;
};

PyMerge *
PyMerge_new(Symbolizer *symbolizer, Symtab *symtab)
{
    PyMerge *m = xcalloc(1, sizeof(*m));
    m->symbolizer = symbolizer;
    m->symtab = symtab;
    m->py_frames = xcalloc(PY_MAX_FRAMES, sizeof(FrameId));
    m->py_group_end = xcalloc(PY_MAX_FRAMES, sizeof(bool));
    m->classes = xcalloc(UNWIND_MAX_DEPTH, 1);
    m->steps = xcalloc(UNWIND_MAX_DEPTH + PY_MAX_FRAMES, sizeof(PyMergeStep));
    return m;
}

void
PyMerge_delete(PyMerge *m)
{
    if (!m)
        return;
    free(m->py_frames);
    free(m->py_group_end);
    free(m->classes);
    free(m->steps);
    HashIndex_done(&m->module_index);
    free(m->module_classes);
    free(m);
}

uint64_t
PyMerge_misaligned(const PyMerge *m)
{
    return m->misaligned;
}

PyMergeClass
PyMerge_module_class(const char *path)
{
    if (!path || !*path)
        return PYMERGE_OTHER;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < ARRAY_SIZE(runtime_prefixes); i++)
        if (strncmp(base, runtime_prefixes[i], strlen(runtime_prefixes[i])) == 0)
            return PYMERGE_RUNTIME;
    /* The launcher in front of a shared libpython: python3.13, python3. */
    if (strncmp(base, "python", 6) == 0 && !strstr(base, ".so"))
        return PYMERGE_INTERPRETER;
    return PYMERGE_OTHER;
}

/* ---- the plan ----------------------------------------------------------- */

static bool
is_interpreter(uint8_t c)
{
    return c == PYMERGE_EVAL || c == PYMERGE_INTERPRETER;
}

/* Whether the run of runtime frames that starts at `first` (its innermost)
 * stays in the default view. */
static bool
runtime_run_kept(const PyMergePlanInput *in, size_t first)
{
    if (first == 0 && in->blocked)
        return true; /* what the thread waits in */
    size_t last = first;
    while (last + 1 < in->native_count && in->native[last + 1] == PYMERGE_RUNTIME)
        last++;
    if (last + 1 < in->native_count)
        return !is_interpreter(in->native[last + 1]); /* who called it */
    /* The outermost run (thread start-up): what it called. */
    return first == 0 || !is_interpreter(in->native[first - 1]);
}

/* Whether native frame i stays; *run_kept carries the decision for the
 * current run of runtime frames. */
static bool
native_kept(const PyMergePlanInput *in, size_t i, bool *run_kept)
{
    uint8_t c = in->native[i];
    if (c == PYMERGE_RUNTIME && (i == 0 || in->native[i - 1] != PYMERGE_RUNTIME))
        *run_kept = runtime_run_kept(in, i);
    if (in->native_all)
        return true;
    switch (c) {
    case PYMERGE_EVAL:
    case PYMERGE_INTERPRETER:
        return false;
    case PYMERGE_RUNTIME:
        return *run_kept;
    default:
        return true;
    }
}

/* Python frames from *next to the end of their group. */
static size_t
push_group(const PyMergePlanInput *in, size_t *next, PyMergeStep *steps, size_t n)
{
    do
        steps[n++] = (PyMergeStep){(uint32_t)*next, true};
    while (!in->group_end[(*next)++] && *next < in->py_count);
    return n;
}

size_t
PyMerge_plan(const PyMergePlanInput *in, PyMergeStep *steps, bool *misaligned)
{
    size_t evals = 0, groups = 0, first_eval = SIZE_MAX, first_interp = SIZE_MAX;
    for (size_t i = 0; i < in->native_count; i++) {
        if (in->native[i] == PYMERGE_EVAL && evals++ == 0)
            first_eval = i;
        if (in->native[i] == PYMERGE_INTERPRETER && first_interp == SIZE_MAX)
            first_interp = i;
    }
    for (size_t i = 0; i < in->py_count; i++)
        groups += in->group_end[i] || i + 1 == in->py_count;

    /* How many innermost evals have no group. */
    size_t skip = 0;
    bool aligned = evals == groups || (evals > 0 && evals < groups && !in->native_complete) ||
                   (evals > groups && !in->py_complete);
    if (!aligned && evals == groups + 1 && in->py_complete) {
        aligned = true;
        skip = 1;
    }
    *misaligned = !aligned;

    size_t n = 0, next = 0;
    bool run_kept = false;
    if (aligned) {
        size_t k = 0;
        for (size_t i = 0; i < in->native_count; i++) {
            if (in->native[i] == PYMERGE_EVAL && k++ >= skip && next < in->py_count) {
                n = push_group(in, &next, steps, n);
                continue;
            }
            if (native_kept(in, i, &run_kept))
                steps[n++] = (PyMergeStep){(uint32_t)i, false};
        }
    } else {
        /* The native leaf: inside the innermost eval frame, or else inside
         * the first interpreter frame (with --native, inside the first run
         * of them). */
        size_t leaf_end = first_eval != SIZE_MAX ? first_eval : first_interp;
        if (leaf_end > in->native_count)
            leaf_end = in->native_count;
        if (first_eval == SIZE_MAX && in->native_all)
            while (leaf_end < in->native_count && in->native[leaf_end] == PYMERGE_INTERPRETER)
                leaf_end++;
        for (size_t i = 0; i < leaf_end; i++)
            if (native_kept(in, i, &run_kept))
                steps[n++] = (PyMergeStep){(uint32_t)i, false};
    }
    while (next < in->py_count)
        steps[n++] = (PyMergeStep){(uint32_t)next++, true};
    return n;
}

/* ---- reading a sample --------------------------------------------------- */

static uint8_t
module_class(PyMerge *m, StrId module)
{
    if (module == SYMTAB_EMPTY)
        return PYMERGE_OTHER;
    uint32_t id = HashIndex_find(&m->module_index, module, NULL, NULL);
    if (id != HASHINDEX_NONE)
        return m->module_classes[id];
    m->module_classes = xgrow(m->module_classes, &m->module_cap, m->module_count + 1, 1);
    uint8_t class = (uint8_t)PyMerge_module_class(Symtab_string(m->symtab, module));
    m->module_classes[m->module_count] = class;
    HashIndex_add(&m->module_index, module, (uint32_t)m->module_count++);
    return class;
}

static uint8_t
classify(PyMerge *m, PyFrames *python, const UnwoundFrame *f)
{
    uint64_t pc = f->exact ? f->pc : f->pc - 1;
    if (PyFrames_is_eval_pc(python, pc))
        return PYMERGE_EVAL;
    if (PyFrames_is_interpreter_pc(python, pc))
        return PYMERGE_INTERPRETER;
    SymbolizedPc sym;
    Symbolizer_lookup(m->symbolizer, f->pc, f->exact, &sym);
    const SymtabFrame *frame = Symtab_frame(m->symtab, sym.frames[sym.count - 1]);
    return frame ? module_class(m, frame->module) : PYMERGE_OTHER;
}

bool
PyMerge_stack(PyMerge *m, const PyMergeInput *in, FrameBuf *out)
{
    const PyRawStack *raw = in->raw;
    size_t native_count = in->native_count < UNWIND_MAX_DEPTH ? in->native_count : UNWIND_MAX_DEPTH;
    for (size_t i = 0; i < native_count; i++)
        m->classes[i] = classify(m, in->python, &in->pcs[i]);
    for (size_t i = 0; i < raw->count; i++) {
        m->py_frames[i] = PyFrames_resolve(in->python, &raw->frames[i], m->symtab);
        m->py_group_end[i] = raw->frames[i].group_end;
    }
    PyMergePlanInput plan = {
        .native = m->classes,
        .native_count = native_count,
        .native_complete = in->native_end == UNWIND_COMPLETE,
        .group_end = m->py_group_end,
        .py_count = raw->count,
        .py_complete = !raw->truncated,
        .blocked = in->blocked,
        .native_all = in->native_all,
    };
    bool misaligned;
    size_t n = PyMerge_plan(&plan, m->steps, &misaligned);
    for (size_t i = 0; i < n; i++) {
        const PyMergeStep *step = &m->steps[i];
        if (step->python)
            FrameBuf_push(out, m->py_frames[step->index], 0, 0, false);
        else
            FrameBuf_push_native(out, m->symbolizer, &in->pcs[step->index]);
    }
    m->misaligned += misaligned;
    return !misaligned;
}
