/* The CPython frame walk that runs while a thread is stopped: it copies
 * the thread state, then follows the frame chain from the current frame
 * (3.11+: out of one copy of the frame stack chunk; before 3.11, the frame
 * objects of the thread's last walk prefetched in one system call) and
 * writes each frame's code object address and instruction offset. No name
 * is read here: that waits until the thread runs again (pycode.h). */
#ifndef SPYTOP_SRC_PYWALK_H
#define SPYTOP_SRC_PYWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"

#define PY_MAX_FRAMES 1024

typedef struct PyRawFrame {
    uint64_t code;  /* the code object's address */
    uint64_t addr;  /* the frame's own address (its locals follow its head) */
    int32_t lasti;  /* instruction offset in code units (bytes before 3.10), -1 unknown */
    bool group_end; /* outermost frame of one evaluation loop call */
} PyRawFrame;

typedef struct PyRawStack {
    bool present; /* the thread has a Python thread state */
    bool holds_gil;
    bool truncated; /* a frame did not validate, or the cap was hit */
    size_t count;   /* innermost first */
    PyRawFrame frames[PY_MAX_FRAMES];
} PyRawStack;

typedef struct PyWalker PyWalker;

/* layout is copied. */
PyWalker *PyWalker_new(pid_t pid, const PyLayout *layout);
void PyWalker_delete(PyWalker *walker);

/* Walks the frames of the thread state at tstate, whose thread key
 * (native thread id from 3.11, else pthread_t) is key, into out (count,
 * frames, truncated). stack/stack_addr/stack_len: the copy of the thread's
 * C stack (3.11 and 3.12 keep the current frame pointer there). False when
 * the thread state cannot be read or now belongs to another thread (freed
 * and reused): the caller's list of thread states is stale. */
bool PyWalker_read(PyWalker *walker, uint64_t tstate, uint64_t key, const uint8_t *stack,
                   uint64_t stack_addr, size_t stack_len, PyRawStack *out);

#endif
