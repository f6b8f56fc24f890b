/* asyncio tasks of CPython 3.14 and later (dump --tasks), read from the
 * target's memory while the thread that owns them is stopped. From 3.14
 * the _asyncio module publishes where a task keeps its name, coroutine and
 * awaiters, and where thread and interpreter states keep their lists of
 * tasks (_Py_AsyncioModuleDebugOffsets, in an ELF section .AsyncioDebug of
 * the _asyncio extension or of the interpreter it is built into); the
 * interpreter's _Py_DebugOffsets say where a coroutine keeps its frame.
 * This is what CPython's own `python -m asyncio pstree PID` reads.
 *
 * Every walk is bounded: tasks per list, coroutines per chain, awaiters
 * per task, a time budget on the whole read; a list link that does not
 * point back, a chain that loops or a coroutine whose type changes ends
 * that walk there. No code runs in the target. Frames are kept raw (code
 * object and instruction): names and lines are resolved after the thread
 * resumed, like a thread's own Python frames. */
#ifndef SPYTOP_SRC_PYTASKS_H
#define SPYTOP_SRC_PYTASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"
#include "pywalk.h"

#define PY_TASKS_MAX 10000       /* tasks read of one list */
#define PY_TASK_DEPTH_MAX 128    /* coroutines of one task's chain */
#define PY_TASK_AWAITERS_MAX 256 /* awaiters of one task */
#define PY_TASK_NAME_CHARS 200   /* characters of a name shown */
/* The most time one read of all lists may keep a thread stopped. */
#define PY_TASKS_BUDGET_NS (250u * 1000 * 1000)
/* PyFrames' problem when no loaded module has the section: not an error,
 * the process does not use asyncio (yet). */
#define PY_TASKS_NOT_IMPORTED "asyncio not imported (no _asyncio module is loaded)"
/* Bytes of the _Py_AsyncioModuleDebugOffsets spytop reads (3.14, 3.15). */
#define PY_ASYNCIO_OFFSETS_BYTES 104

/* Where the _asyncio module keeps what is read: byte offsets. */
typedef struct PyAsyncioOffsets {
    uint64_t task_size, task_name, task_awaited_by, task_is_task, task_awaited_by_is_set;
    uint64_t task_coro, task_node;
    uint64_t is_size, is_tasks_head;
    uint64_t ts_size, ts_running_loop, ts_running_task, ts_tasks_head;
} PyAsyncioOffsets;

typedef struct PyTask {
    uint64_t id;         /* the task object's address */
    char *name;          /* UTF-8, at most PY_TASK_NAME_CHARS characters; NULL: unreadable */
    int64_t name_length; /* characters of the whole name, -1 unknown */
    bool name_cut;       /* name holds only its first PY_TASK_NAME_CHARS characters */
    bool running;        /* its thread's running task */
    /* The coroutine stack: the task's coroutine and what each awaits,
     * innermost first (a running task: its coroutine's own frame). */
    PyRawFrame *frames;
    size_t frame_count;
    bool frames_cut; /* PY_TASK_DEPTH_MAX, a loop, or a coroutine unreadable */
    /* The tasks awaiting it, as the target records them (a set may hold
     * stale entries: the reader keeps only ids that are tasks it read). */
    uint64_t *awaited_by;
    size_t awaited_by_count;
    bool awaited_by_cut;
} PyTask;

typedef struct PyTaskList {
    pid_t tid;         /* 0: the interpreter's list (tasks of threads that exited) */
    bool loop_running; /* the thread runs an event loop now */
    bool cut;          /* PY_TASKS_MAX, the time budget, or a link that did not validate */
    PyTask *tasks;
    size_t count, cap;
} PyTaskList;

/* The offsets from the len bytes of the .AsyncioDebug section, checked
 * against layout (the interpreter's size it declares must be the one
 * _Py_DebugOffsets declares). False when they fail a check. */
bool PyTasks_parse_offsets(const uint8_t *bytes, size_t len, const PyLayout *layout,
                           PyAsyncioOffsets *out);

/* Whether layout knows what tasks need (3.14+). */
bool PyTasks_supported(const PyLayout *layout);

typedef struct PyTasks PyTasks;

/* layout and offsets are copied; int_type and str_type are &PyLong_Type
 * and &PyUnicode_Type in the target (0: unknown, names then unreadable). */
PyTasks *PyTasks_new(pid_t pid, const PyLayout *layout, const PyAsyncioOffsets *offsets,
                     uint64_t int_type, uint64_t str_type);
void PyTasks_delete(PyTasks *tasks);

/* Starts a read of every list (the time budget starts here). */
void PyTasks_begin(PyTasks *tasks);

/* While thread tid is stopped: the tasks of its thread state at tstate,
 * into out (cleared first). */
void PyTasks_read_thread(PyTasks *tasks, pid_t tid, uint64_t tstate, PyTaskList *out);

/* The interpreter's list at interp (tasks whose thread exited), into out. */
void PyTasks_read_interpreter(PyTasks *tasks, uint64_t interp, PyTaskList *out);

void PyTaskList_clear(PyTaskList *list);

/* The most frames of awaiting tasks one await chain adds, and tasks. */
#define PY_AWAIT_CHAIN_FRAMES 256
#define PY_AWAIT_CHAIN_TASKS 16

/* --async, while the thread is stopped: when the thread state at tstate
 * runs an event loop and a task, the running task's coroutine frame
 * (its address, *task_frame) and the coroutine stacks of the tasks that
 * await it, the first awaiter of each in turn (innermost first: the
 * awaiter's, then its awaiter's), at most cap frames into out. Returns how
 * many; 0 and *task_frame 0 when no task runs. */
size_t PyTasks_await_chain(PyTasks *tasks, uint64_t tstate, uint64_t *task_frame, PyRawFrame *out,
                           size_t cap);

#endif
