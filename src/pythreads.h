/* Python thread names (threading.Thread(name=...)) read from the target:
 * sys.modules["threading"]._active maps each thread's ident to its Thread,
 * whose _name and _native_id (the OS thread id) are instance attributes.
 * Only ever called with the target running, never while a thread is
 * stopped; every read is bounded and checked (dicts by their type, keys by
 * their layout), so a dict the target is changing gives no name rather
 * than a wrong one. No code runs in the target. */
#ifndef SPYTOP_SRC_PYTHREADS_H
#define SPYTOP_SRC_PYTHREADS_H

#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"

typedef struct PyThreadNames PyThreadNames;

/* layout is copied; runtime is &_PyRuntime in the target. */
PyThreadNames *PyThreadNames_new(pid_t pid, const PyLayout *layout, uint64_t runtime);
void PyThreadNames_delete(PyThreadNames *names);

/* Reads the names again (the target running). */
void PyThreadNames_refresh(PyThreadNames *names);

/* Thread tid's Python name at the last refresh, or NULL (borrowed until
 * the next refresh). */
const char *PyThreadNames_get(const PyThreadNames *names, pid_t tid);

#endif
