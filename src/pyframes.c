#include "config.h"

#include "pyframes.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codepieces.h"
#include "pycode.h"
#include "pylayout.h"
#include "pymem.h"
#include "pytasks.h"
#include "pythreads.h"
#include "util.h"

#define MAX_INTERPRETERS 16
#define MAX_THREAD_STATES 4096
#define THREAD_REFRESH_NS (1000u * 1000 * 1000)
#define NAMES_REFRESH_NS (1000u * 1000 * 1000)
#define PY_EVAL_PIECES 8
#define ASYNC_RETRY_NS (1000u * 1000 * 1000)

/* What a thread state holds, read in one go. */
typedef struct ThreadEntry {
    uint64_t tstate;
    uint64_t key; /* native thread id (3.11+) or pthread_t */
} ThreadEntry;

/* The locals of one thread's frames, innermost first. */
typedef struct ThreadLocals {
    pid_t tid;
    PyFrameLocals *frames;
    size_t count, cap;
} ThreadLocals;

struct PyFrames {
    pid_t pid;
    PyLayout layout;
    char version[32];
    uint64_t runtime;   /* &_PyRuntime */
    uint64_t code_type; /* &PyCode_Type */
    /* The evaluation loop's code: its function and the pieces split off it. */
    CodeRange eval[PY_EVAL_PIECES];
    size_t eval_count;
    uint64_t module_start, module_end;
    /* Thread states, by key. */
    ThreadEntry *threads;
    size_t thread_count;
    uint64_t threads_read_ns;
    bool threads_stale;
    uint64_t gil_holder;  /* tstate holding the GIL at the tick's start, or 0 */
    PyWalker *walker;     /* while a thread is stopped */
    PyCodeCache *codes;   /* after it resumed */
    PyThreadNames *names; /* threading's names, with the target running */
    uint64_t names_read_ns;
    /* dump --locals: the builtin objects and types values are known by,
     * and what each thread's last read found. */
    PyLocalsTypes types;
    bool want_locals;
    char *locals_problem;
    ThreadLocals *locals;
    size_t locals_count;
    /* dump --tasks: asyncio's reader, each thread's list as its last read
     * found it, and the interpreter's (read once a tick). */
    PyTasks *tasks;
    char *tasks_problem;
    bool want_tasks, want_async;
    bool async_paused;            /* the live view turned --async off for now */
    Symbolizer *async_symbolizer; /* --async: to look for asyncio again */
    uint64_t async_tried_ns;
    PyTaskList *task_lists;
    size_t task_list_count;
    PyTaskList interp_tasks;
    bool interp_tasks_read;
};

/* ---- finding the interpreter ------------------------------------------- */

static int
minor_from_path(const char *path)
{
    regex_t re;
    if (regcomp(&re, "python3\\.([0-9]+)", REG_EXTENDED) != 0)
        return -1;
    regmatch_t m[2];
    int minor = -1;
    if (regexec(&re, path, 2, m, 0) == 0)
        minor = atoi(path + m[1].rm_so);
    regfree(&re);
    return minor;
}

/* 3.13+: the layout comes from the interpreter itself. */
static bool
layout_from_debug_offsets(PyFrames *py, uint64_t runtime_size, char **cause)
{
    uint8_t d[PY_DEBUG_OFFSETS_MAX_BYTES];
    uint32_t hex = 0;
    PyDebugOffsetsResult r = PY_OFFSETS_NONE;
    if (PyMem_read(py->pid, py->runtime, d, sizeof(d)))
        r = PyLayout_from_debug_offsets(d, sizeof(d), runtime_size, &hex, &py->layout);
    switch (r) {
    case PY_OFFSETS_OK:
        return true;
    case PY_OFFSETS_NONE:
        *cause = xasprintf("CPython %s: no _Py_DebugOffsets at _PyRuntime", py->version);
        return false;
    case PY_OFFSETS_FREE_THREADED:
        *cause = xasprintf("CPython %s is a free-threaded build, not supported yet", py->version);
        return false;
    case PY_OFFSETS_UNKNOWN:
        *cause = xasprintf("CPython %s is newer than this spytop: its _Py_DebugOffsets layout is "
                           "not one of %s's; Python frames need a newer spytop",
                           py->version, PyLayout_known_debug_offsets());
        return false;
    case PY_OFFSETS_INVALID:
        break;
    }
    *cause = xasprintf("CPython %s: its _Py_DebugOffsets (declared version %u.%u) fail spytop's "
                       "checks; Python frames not read",
                       py->version, (hex >> 24) & 0xff, (hex >> 16) & 0xff);
    return false;
}

static bool
choose_layout(PyFrames *py, int minor, uint64_t runtime_size, char **cause)
{
    if (minor >= 13)
        return layout_from_debug_offsets(py, runtime_size, cause);
    if (PyLayout_for_minor(minor, &py->layout))
        return true;
    *cause = xasprintf("CPython %s is not supported (3.8 and later are)", py->version);
    return false;
}

/* ---- thread states ------------------------------------------------------ */

static void
read_thread_states(PyFrames *py)
{
    const PyLayout *l = &py->layout;
    py->thread_count = 0;
    py->threads_read_ns = Util_now_ns();
    py->threads_stale = false;
    uint64_t interp;
    if (!PyMem_read_u64(py->pid, py->runtime + l->rt_interpreters_head, &interp))
        return;
    size_t cap = 0;
    for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
        uint64_t ts;
        if (!PyMem_read_u64(py->pid, interp + l->is_threads_head, &ts))
            break;
        for (size_t n = 0; ts && n < MAX_THREAD_STATES; n++) {
            uint64_t key, next;
            uint64_t key_off = l->ts_native_thread_id ? l->ts_native_thread_id : l->ts_thread_id;
            if (!PyMem_read_u64(py->pid, ts + key_off, &key) ||
                !PyMem_read_u64(py->pid, ts + l->ts_next, &next))
                break;
            py->threads = xgrow(py->threads, &cap, py->thread_count + 1, sizeof(ThreadEntry));
            py->threads[py->thread_count++] = (ThreadEntry){ts, key};
            if (next == ts)
                break;
            ts = next;
        }
        uint64_t next_interp;
        if (!PyMem_read_u64(py->pid, interp + l->is_next, &next_interp) || next_interp == interp)
            break;
        interp = next_interp;
    }
}

static uint64_t
find_tstate(const PyFrames *py, uint64_t key)
{
    for (size_t i = 0; i < py->thread_count; i++)
        if (py->threads[i].key == key)
            return py->threads[i].tstate;
    return 0;
}

PyFrames *
PyFrames_open(pid_t pid, Symbolizer *symbolizer, Images *images, char **cause)
{
    *cause = NULL;
    SymbolQuery q[] = {
        {.name = "_PyRuntime"},
        {.name = "PyCode_Type"},
        {.name = "_PyEval_EvalFrameDefault"},
        {.name = "Py_Version"},
        /* What locals' values are recognised by (dump --locals). */
        {.name = "_Py_NoneStruct"},
        {.name = "_Py_TrueStruct"},
        {.name = "_Py_FalseStruct"},
        {.name = "PyLong_Type"},
        {.name = "PyFloat_Type"},
        {.name = "PyUnicode_Type"},
        {.name = "PyBytes_Type"},
        {.name = "PyList_Type"},
        {.name = "PyTuple_Type"},
        {.name = "PyDict_Type"},
        {.name = "PySet_Type"},
        {.name = "PyFrozenSet_Type"},
        {.name = "PyCell_Type"},
    };
    uint64_t start = 0, end = 0;
    const char *path = NULL;
    if (Symbolizer_find_symbols(symbolizer, "python", q, ARRAY_SIZE(q), &start, &end, &path) == 0)
        return NULL; /* not CPython (or one too old to have _PyRuntime) */
    PyFrames *py = xcalloc(1, sizeof(*py));
    py->pid = pid;
    py->runtime = q[0].addr;
    py->code_type = q[1].found ? q[1].addr : 0;
    if (q[2].found) {
        py->eval_count = CodePieces_find(images, q[2].addr, py->eval, PY_EVAL_PIECES);
        if (py->eval_count == 0) { /* no FDE: the symbol's own extent */
            py->eval[0] = (CodeRange){q[2].addr, q[2].addr + (q[2].size ? q[2].size : 1)};
            py->eval_count = 1;
        }
    }
    py->module_start = start;
    py->module_end = end;
    uint64_t *type_addrs[] = {&py->types.none,  &py->types.true_,  &py->types.false_,
                              &py->types.int_,  &py->types.float_, &py->types.str,
                              &py->types.bytes, &py->types.list,   &py->types.tuple,
                              &py->types.dict,  &py->types.set,    &py->types.frozenset,
                              &py->types.cell};
    for (size_t i = 0; i < ARRAY_SIZE(type_addrs); i++)
        *type_addrs[i] = q[4 + i].found ? q[4 + i].addr : 0;

    /* The version: Py_Version (3.11+), else the one 3.13+'s debug offsets
     * declare, else the module's name (python3.9, libpython3.8.so). */
    uint32_t hex = 0;
    uint8_t head[16];
    if (!(q[3].found && PyMem_read(pid, q[3].addr, &hex, sizeof(hex))) &&
        PyMem_read(pid, py->runtime, head, sizeof(head)) && memcmp(head, "xdebugpy", 8) == 0)
        memcpy(&hex, head + 8, sizeof(hex));
    int major = 3, minor;
    if (hex) {
        major = (int)(hex >> 24);
        minor = (int)((hex >> 16) & 0xff);
        snprintf(py->version, sizeof(py->version), "%d.%d.%d", major, minor,
                 (int)((hex >> 8) & 0xff));
    } else {
        minor = minor_from_path(path);
        snprintf(py->version, sizeof(py->version), "3.%d", minor);
    }
    if (major != 3 || minor < 8) {
        *cause = xasprintf("CPython %s is not supported (3.8 and later are)", py->version);
        goto fail;
    }
    if (!choose_layout(py, minor, q[0].size, cause))
        goto fail;
    if (!py->code_type) {
        *cause = xasprintf("CPython %s: PyCode_Type not found in %s", py->version, path);
        goto fail;
    }
    read_thread_states(py);
    if (py->thread_count == 0) {
        *cause = xasprintf("CPython %s in %s: no thread state found through _PyRuntime "
                           "(not initialised yet, or finalising)",
                           py->version, path);
        goto fail;
    }
    py->walker = PyWalker_new(pid, &py->layout);
    py->codes = PyCodeCache_new(pid, &py->layout, py->code_type);
    py->names = PyThreadNames_new(pid, &py->layout, py->runtime);
    return py;
fail:
    PyFrames_delete(py);
    return NULL;
}

void
PyFrames_delete(PyFrames *py)
{
    if (!py)
        return;
    PyWalker_delete(py->walker);
    PyCodeCache_delete(py->codes);
    PyThreadNames_delete(py->names);
    for (size_t i = 0; i < py->locals_count; i++) {
        for (size_t k = 0; k < py->locals[i].cap; k++)
            PyLocals_clear(&py->locals[i].frames[k]);
        free(py->locals[i].frames);
    }
    free(py->locals);
    free(py->locals_problem);
    for (size_t i = 0; i < py->task_list_count; i++)
        PyTaskList_clear(&py->task_lists[i]);
    free(py->task_lists);
    PyTaskList_clear(&py->interp_tasks);
    PyTasks_delete(py->tasks);
    free(py->tasks_problem);
    free(py->threads);
    free(py);
}

const char *
PyFrames_version(const PyFrames *py)
{
    return py->version;
}

const char *
PyFrames_thread_name(PyFrames *py, pid_t tid)
{
    uint64_t now = Util_now_ns();
    if (py->names_read_ns == 0 || now - py->names_read_ns >= NAMES_REFRESH_NS) {
        PyThreadNames_refresh(py->names);
        py->names_read_ns = now;
    }
    return PyThreadNames_get(py->names, tid);
}

bool
PyFrames_is_eval_pc(const PyFrames *py, uint64_t pc)
{
    return CodePieces_contain(py->eval, py->eval_count, pc);
}

bool
PyFrames_is_interpreter_pc(const PyFrames *py, uint64_t pc)
{
    return pc >= py->module_start && pc < py->module_end;
}

static void retry_async(PyFrames *py);

void
PyFrames_begin_tick(PyFrames *py)
{
    const PyLayout *l = &py->layout;
    uint64_t now = Util_now_ns();
    py->interp_tasks_read = false;
    retry_async(py);
    if (py->tasks)
        PyTasks_begin(py->tasks);
    if (py->threads_stale || now - py->threads_read_ns > THREAD_REFRESH_NS)
        read_thread_states(py);
    py->gil_holder = 0;
    if (l->rt_gil_holder) {
        PyMem_read_u64(py->pid, py->runtime + l->rt_gil_holder, &py->gil_holder);
    } else if ((l->is_gil || l->gil_in_interp) && py->thread_count) {
        /* The GIL of the main interpreter. */
        uint64_t interp, gil = 0, holder = 0;
        int32_t locked = 0;
        if (!PyMem_read_u64(py->pid, py->runtime + l->rt_interpreters_head, &interp))
            return;
        if (l->gil_in_interp)
            gil = interp;
        else if (!PyMem_read_u64(py->pid, interp + l->is_gil, &gil))
            return;
        if (gil && PyMem_read(py->pid, gil + l->gil_locked, &locked, sizeof(locked)) &&
            PyMem_read_u64(py->pid, gil + l->gil_holder, &holder) && locked)
            py->gil_holder = holder;
    }
}

/* ---- while the thread is stopped --------------------------------------- */

const char *
PyFrames_want_locals(PyFrames *py)
{
    py->want_locals = true;
    if (!PyLocals_supported(&py->layout) && !py->locals_problem)
        py->locals_problem = xasprintf("locals not supported for CPython %s", py->version);
    return py->locals_problem;
}

/* The asyncio reader, made once for --tasks and --async: NULL when it
 * cannot be, and why in py->tasks_problem. */
static const char *
setup_tasks(PyFrames *py, Symbolizer *symbolizer)
{
    if (py->tasks || py->tasks_problem)
        return py->tasks_problem;
    uint64_t addr, size;
    uint8_t bytes[PY_ASYNCIO_OFFSETS_BYTES];
    PyAsyncioOffsets offsets;
    if (!PyTasks_supported(&py->layout))
        py->tasks_problem = xasprintf("asyncio tasks need CPython 3.14 or newer (this is CPython "
                                      "%s)",
                                      py->version);
    else if (!Symbolizer_find_section(symbolizer, "python", ".AsyncioDebug", &addr, &size))
        py->tasks_problem = xstrdup(PY_TASKS_NOT_IMPORTED);
    else if (size < sizeof(bytes) || !PyMem_read(py->pid, addr, bytes, sizeof(bytes)))
        py->tasks_problem = xstrdup("the _asyncio module's debug offsets are unreadable");
    else if (!PyTasks_parse_offsets(bytes, sizeof(bytes), &py->layout, &offsets))
        py->tasks_problem = xasprintf("the _asyncio module's debug offsets fail spytop's checks "
                                      "(CPython %s); tasks not read",
                                      py->version);
    else
        py->tasks = PyTasks_new(py->pid, &py->layout, &offsets, py->types.int_, py->types.str);
    if (py->tasks)
        PyTasks_begin(py->tasks);
    return py->tasks_problem;
}

const char *
PyFrames_want_tasks(PyFrames *py, Symbolizer *symbolizer)
{
    const char *problem = setup_tasks(py, symbolizer);
    py->want_tasks = !problem;
    return problem;
}

const char *
PyFrames_want_async(PyFrames *py, Symbolizer *symbolizer)
{
    const char *problem = setup_tasks(py, symbolizer);
    py->want_async = !problem;
    py->async_symbolizer = symbolizer;
    py->async_tried_ns = Util_now_ns();
    return problem;
}

void
PyFrames_pause_async(PyFrames *py, bool paused)
{
    py->async_paused = paused;
}

const char *
PyFrames_async_problem(const PyFrames *py)
{
    return py->want_async ? NULL : py->tasks_problem;
}

/* --async before asyncio was imported: looked for again once a second. */
static void
retry_async(PyFrames *py)
{
    uint64_t now = Util_now_ns();
    if (py->want_async || !py->async_symbolizer || !py->tasks_problem ||
        strcmp(py->tasks_problem, PY_TASKS_NOT_IMPORTED) != 0 ||
        now - py->async_tried_ns < ASYNC_RETRY_NS)
        return;
    free(py->tasks_problem);
    py->tasks_problem = NULL;
    PyFrames_want_async(py, py->async_symbolizer);
}

/* --async: the awaiting tasks' coroutines go right after the running
 * task's own coroutine frame, innermost part of the group outside it (the
 * event loop that runs the task), so that the loop's group count is kept
 * and the stack reads: the coroutine, the tasks awaiting it, the loop. */
static void
insert_await_chain(PyFrames *py, uint64_t tstate, PyRawStack *out)
{
    PyRawFrame chain[PY_AWAIT_CHAIN_FRAMES];
    uint64_t task_frame;
    size_t n = PyTasks_await_chain(py->tasks, tstate, &task_frame, chain, PY_AWAIT_CHAIN_FRAMES);
    if (!n)
        return;
    size_t k = 0;
    while (k < out->count && out->frames[k].addr != task_frame)
        k++;
    if (k + 1 >= out->count)
        return; /* not on this stack, or nothing outside it */
    if (out->count + n > PY_MAX_FRAMES) {
        out->truncated = true; /* the outermost frames go */
        out->count = PY_MAX_FRAMES - n > k + 1 ? PY_MAX_FRAMES - n : k + 1;
        if (out->count + n > PY_MAX_FRAMES)
            n = PY_MAX_FRAMES - out->count;
    }
    memmove(&out->frames[k + 1 + n], &out->frames[k + 1],
            (out->count - k - 1) * sizeof(out->frames[0]));
    memcpy(&out->frames[k + 1], chain, n * sizeof(chain[0]));
    out->count += n;
}

static PyTaskList *
thread_tasks(PyFrames *py, pid_t tid)
{
    for (size_t i = 0; i < py->task_list_count; i++)
        if (py->task_lists[i].tid == tid)
            return &py->task_lists[i];
    py->task_lists =
        xreallocarray(py->task_lists, py->task_list_count + 1, sizeof(*py->task_lists));
    PyTaskList *t = &py->task_lists[py->task_list_count++];
    *t = (PyTaskList){.tid = tid};
    return t;
}

/* While tid is stopped: its tasks, and once a tick the interpreter's. */
static void
read_tasks(PyFrames *py, pid_t tid, uint64_t tstate)
{
    PyTasks_read_thread(py->tasks, tid, tstate, thread_tasks(py, tid));
    uint64_t interp;
    if (!py->interp_tasks_read &&
        PyMem_read_u64(py->pid, py->runtime + py->layout.rt_interpreters_head, &interp) && interp) {
        PyTasks_read_interpreter(py->tasks, interp, &py->interp_tasks);
        py->interp_tasks_read = true;
    }
}

const PyTaskList *
PyFrames_tasks(const PyFrames *py, pid_t tid)
{
    if (tid == 0)
        return py->interp_tasks_read ? &py->interp_tasks : NULL;
    for (size_t i = 0; i < py->task_list_count; i++)
        if (py->task_lists[i].tid == tid)
            return &py->task_lists[i];
    return NULL;
}

static ThreadLocals *
thread_locals(PyFrames *py, pid_t tid)
{
    for (size_t i = 0; i < py->locals_count; i++)
        if (py->locals[i].tid == tid)
            return &py->locals[i];
    py->locals = xreallocarray(py->locals, py->locals_count + 1, sizeof(*py->locals));
    ThreadLocals *t = &py->locals[py->locals_count++];
    *t = (ThreadLocals){.tid = tid};
    return t;
}

static void
read_locals(PyFrames *py, pid_t tid, const PyRawStack *raw)
{
    ThreadLocals *t = thread_locals(py, tid);
    if (raw->count > t->cap) {
        t->frames = xreallocarray(t->frames, raw->count, sizeof(*t->frames));
        memset(t->frames + t->cap, 0, (raw->count - t->cap) * sizeof(*t->frames));
        t->cap = raw->count;
    }
    t->count = raw->count;
    for (size_t i = 0; i < raw->count; i++) {
        if (i < PY_LOCALS_MAX_FRAMES) {
            PyLocals_read(py->pid, &py->layout, &py->types, &raw->frames[i], &t->frames[i]);
        } else {
            PyLocals_clear(&t->frames[i]);
            t->frames[i].skipped = true;
        }
    }
}

const PyFrameLocals *
PyFrames_locals(const PyFrames *py, pid_t tid, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < py->locals_count; i++)
        if (py->locals[i].tid == tid) {
            *count = py->locals[i].count;
            return py->locals[i].frames;
        }
    return NULL;
}

void
PyFrames_read(PyFrames *py, pid_t tid, const ArchRegs *regs, const uint8_t *stack,
              uint64_t stack_addr, size_t stack_len, PyRawStack *out)
{
    const PyLayout *l = &py->layout;
    out->present = out->holds_gil = out->truncated = false;
    out->count = 0;
    if (py->want_locals)
        thread_locals(py, tid)->count = 0;
    if (py->want_tasks)
        PyTaskList_clear(thread_tasks(py, tid));
    uint64_t key = l->ts_native_thread_id ? (uint64_t)tid : Arch_thread_pointer(regs);
    uint64_t tstate = find_tstate(py, key);
    if (!tstate)
        return;
    if (!PyWalker_read(py->walker, tstate, key, stack, stack_addr, stack_len, out)) {
        py->threads_stale = true;
        return;
    }
    out->present = true;
    out->holds_gil = tstate == py->gil_holder;
    if (py->want_locals && !py->locals_problem)
        read_locals(py, tid, out);
    if (py->want_tasks)
        read_tasks(py, tid, tstate);
    if (py->want_async && !py->async_paused)
        insert_await_chain(py, tstate, out);
}

/* ---- after the thread resumed ------------------------------------------ */

FrameId
PyFrames_resolve(PyFrames *py, const PyRawFrame *frame, Symtab *symtab)
{
    return PyCodeCache_frame(py->codes, frame->code, frame->lasti, symtab);
}
