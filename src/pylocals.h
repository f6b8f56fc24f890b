/* A CPython frame's local variables, read while its thread is stopped
 * (dump --locals): each local's name and a bounded description of its
 * value. Simple values (None, bool, int, float, str, bytes) are shown, cut
 * past PY_LOCAL_VALUE_CHARS; containers (list, tuple, dict, set,
 * frozenset) by type and length, never entered; anything else by its type
 * name. Builtin types are recognised by their address in the target, not
 * by name, so a subclass or a class named "str" is shown by its type name.
 * Every pointer is distrusted: each read is bounded, nothing is followed
 * more than one step (a cell to its content), and no code runs in the
 * target. */
#ifndef SPYTOP_SRC_PYLOCALS_H
#define SPYTOP_SRC_PYLOCALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"
#include "pywalk.h"

/* The most locals shown of one frame, and characters (bytes) of a value. */
#define PY_LOCALS_MAX 256
#define PY_LOCAL_VALUE_CHARS 80
/* Frames whose locals are read, innermost first: the stop stays bounded
 * (some 30 us a frame) however deep the stack. */
#define PY_LOCALS_MAX_FRAMES 128

typedef enum PyLocalKind {
    PY_LOCAL_UNBOUND,    /* deleted, or not assigned yet */
    PY_LOCAL_NONE,       /* value "None" */
    PY_LOCAL_BOOL,       /* value "True" or "False" */
    PY_LOCAL_INT,        /* value in decimal */
    PY_LOCAL_BIG_INT,    /* too big to show: bits */
    PY_LOCAL_FLOAT,      /* value as Python's repr writes it */
    PY_LOCAL_STR,        /* value: its text (UTF-8), length in characters */
    PY_LOCAL_BYTES,      /* value: printable ASCII, others as \xNN; length in bytes */
    PY_LOCAL_CONTAINER,  /* length in items */
    PY_LOCAL_OTHER,      /* the type name only */
    PY_LOCAL_UNREADABLE, /* the object (or its type) could not be read */
} PyLocalKind;

typedef struct PyLocal {
    char *name;     /* UTF-8 */
    char *type;     /* the type's tp_name, NULL when unbound or unreadable */
    char *value;    /* NULL for kinds without one */
    int64_t length; /* -1 when none */
    uint64_t bits;  /* PY_LOCAL_BIG_INT */
    bool cut;       /* value holds only the first PY_LOCAL_VALUE_CHARS */
    PyLocalKind kind;
} PyLocal;

typedef struct PyFrameLocals {
    uint64_t code;
    PyLocal *locals;
    size_t count;
    bool more;       /* more than PY_LOCALS_MAX: the rest not shown */
    bool unreadable; /* the names or the slots could not be read */
    bool skipped;    /* deeper than PY_LOCALS_MAX_FRAMES: not read */
} PyFrameLocals;

/* Addresses of the builtin objects and types values are recognised by
 * (0: unknown, such values are then shown by type name). */
typedef struct PyLocalsTypes {
    uint64_t none, true_, false_;
    uint64_t int_, float_, str, bytes, list, tuple, dict, set, frozenset, cell;
} PyLocalsTypes;

/* Whether layout knows where locals are. */
bool PyLocals_supported(const PyLayout *layout);

/* While the thread is stopped: the locals of frame (the code object and
 * frame addresses of a walk), into out (cleared first). */
void PyLocals_read(pid_t pid, const PyLayout *layout, const PyLocalsTypes *types,
                   const PyRawFrame *frame, PyFrameLocals *out);

void PyLocals_clear(PyFrameLocals *frame);

#endif
