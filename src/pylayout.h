/* Where CPython keeps what spytop reads, per version (x86-64): the runtime,
 * interpreter and thread states, frames, code objects, str and bytes.
 * 3.8 - 3.12 from a table measured from the DWARF of their release builds;
 * 3.13 on from the interpreter's own _Py_DebugOffsets (the start of
 * _PyRuntime), whose layout is chosen by the version it declares and
 * checked against the sizes it declares. Pure: no I/O, so the unit tests
 * feed it the bytes of real interpreters. */
#ifndef SPYTOP_SRC_PYLAYOUT_H
#define SPYTOP_SRC_PYLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PyLineFormat {
    PY_LINES_LNOTAB,    /* 3.8, 3.9: co_lnotab, f_lasti in bytes */
    PY_LINES_LINETABLE, /* 3.10: co_linetable, f_lasti in code units */
    PY_LINES_LOCATIONS, /* 3.11+: the location table, in code units */
} PyLineFormat;

/* Byte offsets; 0 means "not in this version" unless the field is one that
 * is legitimately at offset 0 (marked "may be 0"). */
typedef struct PyLayout {
    int minor;
    PyLineFormat lines;
    uint64_t rt_interpreters_head;
    uint64_t rt_gil_holder; /* <= 3.11: _PyRuntime.gilstate.tstate_current */
    uint64_t is_next;       /* may be 0 */
    uint64_t is_size;       /* 3.13+: sizeof(PyInterpreterState), else 0 */
    uint64_t is_threads_head;
    uint64_t is_modules; /* sys.modules: interp->modules, 3.12+ interp->imports.modules */
    uint64_t is_gil;     /* 3.12: interp->ceval.gil (a pointer) */
    uint64_t gil_locked, gil_holder; /* in the _gil_runtime_state; 3.13+: in the interpreter */
    bool gil_in_interp;              /* 3.13+: the interpreter's own _gil */
    uint64_t ts_next, ts_frame, ts_cframe, cframe_frame; /* cframe_frame may be 0 */
    uint64_t ts_thread_id, ts_native_thread_id, ts_datastack_chunk, ts_datastack_top;
    uint64_t fr_previous, fr_code, fr_lasti, fr_instr, fr_owner, fr_is_entry; /* fr_code may be 0 */
    uint64_t co_filename, co_name, co_qualname, co_firstlineno, co_linetable, co_code_adaptive;
    uint64_t ob_type;
    uint64_t str_length, str_state, ascii_size, compact_size;
    uint64_t bytes_size, bytes_data;
    /* Locals (dump --locals), 0 when unknown: where a frame's local slots
     * start, the code object's tuple of their names and (3.11+) the bytes
     * of their kinds, and (before 3.11) its count of plain locals. */
    uint64_t fr_localsplus, co_localsnames, co_localskinds, co_nlocals;
    uint64_t co_cellvars; /* before 3.11: captured locals, in the slots after co_nlocals */
    uint64_t tuple_items; /* PyTupleObject.ob_item: 24, 32 from 3.14 (ob_hash) */
    /* asyncio tasks (dump --tasks), 3.14+, 0 when unknown: a coroutine's
     * embedded frame and its state (an int8), a frame's stack pointer, a
     * set's fill, mask and table, an int's tag and digits. */
    uint64_t gen_iframe, gen_frame_state, fr_stackpointer;
    uint64_t set_used, set_mask, set_table, long_tag, long_digits;
    /* 3.14+: a frame's code is a tagged _PyStackRef; these low bits are the tag. */
    uint64_t code_tag_bits;
    /* Bytes to read of a thread state and of a frame: every field above
     * that the walk uses lies inside them. */
    size_t ts_read, fr_read;
} PyLayout;

/* The most bytes of a thread state or a frame the walk reads. */
#define PY_TS_READ_MAX 512
#define PY_FRAME_READ_MAX 128
/* The most bytes of a code object's head load_code reads. */
#define PY_CODE_READ_MAX 512
/* What PyLayout_from_debug_offsets wants to see: the largest struct known. */
#define PY_DEBUG_OFFSETS_MAX_BYTES 1024

/* The layout of 3.minor for 3.8 - 3.12. False for other versions. */
bool PyLayout_for_minor(int minor, PyLayout *out);

typedef enum PyDebugOffsetsResult {
    PY_OFFSETS_OK,
    PY_OFFSETS_NONE,          /* no "xdebugpy" cookie: not a _Py_DebugOffsets */
    PY_OFFSETS_FREE_THREADED, /* a free-threaded build */
    PY_OFFSETS_UNKNOWN,       /* a version whose layout spytop does not know */
    PY_OFFSETS_INVALID,       /* the layout it declares fails its checks */
} PyDebugOffsetsResult;

/* 3.13+: the layout from the len bytes at _PyRuntime (its _Py_DebugOffsets).
 * runtime_size is _PyRuntime's st_size (0 when unknown), checked against
 * the size the struct declares. *version gets the PY_VERSION_HEX it
 * declares (also on failure, when the cookie was there). A version after
 * the newest known is tried with that newest layout and taken only when
 * every check passes. */
PyDebugOffsetsResult PyLayout_from_debug_offsets(const uint8_t *bytes, size_t len,
                                                 uint64_t runtime_size, uint32_t *version,
                                                 PyLayout *out);

/* "3.13 to 3.15": the versions whose _Py_DebugOffsets layouts are known. */
const char *PyLayout_known_debug_offsets(void);

#endif
