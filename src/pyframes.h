/* CPython frames (3.8 and later) read from the interpreter's memory. Found
 * through _PyRuntime (and Py_Version / the module's name for the version);
 * 3.13 and later through the interpreter's own _Py_DebugOffsets, older
 * versions through layouts measured from their DWARF (pylayout.h). A
 * version whose layout spytop cannot verify is refused, never guessed.
 * Every pointer from the
 * target is distrusted: reads are bounded, loops capped, and a frame that
 * does not validate ends the Python stack there.
 *
 * Split like the native side: PyFrames_read runs while the thread is
 * stopped and only copies (the thread state, the frame stack chunk, frame
 * headers) into a PyRawStack; PyFrames_resolve runs after the thread
 * resumed and turns code objects into names, files and lines, cached by
 * address. */
#ifndef SPYTOP_SRC_PYFRAMES_H
#define SPYTOP_SRC_PYFRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"
#include "images.h"
#include "pylocals.h"
#include "pytasks.h"
#include "pywalk.h"
#include "symbolizer.h"
#include "symtab.h"

typedef struct PyFrames PyFrames;

/* Looks for CPython in the target's modules (symbolizer) and finds its
 * evaluation loop's code in their images (borrowed for the call only).
 * Returns NULL with *cause NULL when the target is not Python; NULL with
 * *cause set when it is, but cannot be read (an unsupported version, a
 * runtime that does not validate). */
PyFrames *PyFrames_open(pid_t pid, Symbolizer *symbolizer, Images *images, char **cause);
void PyFrames_delete(PyFrames *py);

/* "3.11.7" (borrowed). */
const char *PyFrames_version(const PyFrames *py);

/* With the target running: thread tid's name in Python's threading
 * module, or NULL (borrowed until the next call). The names are read again
 * at most once a second. */
const char *PyFrames_thread_name(PyFrames *py, pid_t tid);

/* Before a tick, with nothing stopped: the GIL holder, and the thread
 * states again when threads came and went. */
void PyFrames_begin_tick(PyFrames *py);

/* While tid is stopped: its Python frames, raw. regs are its registers,
 * stack/stack_addr/stack_len the copy of its C stack (3.11/3.12 keep the
 * current frame pointer there). */
void PyFrames_read(PyFrames *py, pid_t tid, const ArchRegs *regs, const uint8_t *stack,
                   uint64_t stack_addr, size_t stack_len, PyRawStack *out);

/* dump --locals: from now on PyFrames_read also reads each frame's locals
 * while the thread is stopped. NULL when they can be, else why not (this
 * CPython's layout of them is not known). */
const char *PyFrames_want_locals(PyFrames *py);

/* The locals PyFrames_read last read of thread tid: one entry per frame of
 * its raw stack, innermost first; *count of them (0: none read). Borrowed
 * until the next PyFrames_read of tid. */
const PyFrameLocals *PyFrames_locals(const PyFrames *py, pid_t tid, size_t *count);

/* dump --tasks: from now on PyFrames_read also reads the asyncio tasks
 * of each thread it reads (and once a tick the interpreter's) while the
 * thread is stopped. NULL when they can be read, else why not (before
 * 3.14; asyncio not imported: its module, found by its .AsyncioDebug
 * section in symbolizer's modules, is not loaded). Borrowed. */
const char *PyFrames_want_tasks(PyFrames *py, Symbolizer *symbolizer);

/* --async: from now on PyFrames_read puts, after a running asyncio
 * task's coroutine frame, the coroutine stacks of the tasks awaiting it
 * (read while the thread is stopped), so that its time shows under the
 * awaits that wait for it. NULL when it can, else why not (as above). */
const char *PyFrames_want_async(PyFrames *py, Symbolizer *symbolizer);
/* The live view's key: --async held back (paused) or applied again. */
void PyFrames_pause_async(PyFrames *py, bool paused);
/* Why --async is not applied now (borrowed until the next tick), or NULL. */
const char *PyFrames_async_problem(const PyFrames *py);

/* The tasks PyFrames_read last read of thread tid (0: the interpreter's
 * list, tasks of exited threads), or NULL. Borrowed until the next
 * PyFrames_read. */
const PyTaskList *PyFrames_tasks(const PyFrames *py, pid_t tid);

/* After the thread resumed: frame i of raw as a symtab frame. */
FrameId PyFrames_resolve(PyFrames *py, const PyRawFrame *frame, Symtab *symtab);

/* Whether a native pc is the evaluation loop (one call per group of
 * Python frames), or anywhere in the interpreter's module. */
bool PyFrames_is_eval_pc(const PyFrames *py, uint64_t pc);
bool PyFrames_is_interpreter_pc(const PyFrames *py, uint64_t pc);

#endif
