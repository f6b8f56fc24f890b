#include "config.h"

#include "pytasks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pymem.h"
#include "pystr.h"
#include "util.h"

/* A task object read at once: every field lies in its first task_size
 * bytes, which the offsets checks keep under this. */
#define TASK_READ_MAX 1024
/* A coroutine object read at once: its head, its embedded frame and the
 * first of the frame's slots, where a small coroutine's awaited object
 * lies (the read may stop early at the end of a mapping). */
#define GEN_READ_MAX 512
/* A name's head read at once: a short ASCII name lies inside it. */
#define NAME_READ 128
/* Slots of an awaiter set's table read at most (16 bytes each). */
#define SET_TABLE_MAX 4096
/* _PyInterpreterFrame.owner of a generator's or coroutine's frame. */
#define FRAME_OWNED_BY_GENERATOR 1
/* Low bits of a _PyStackRef that are a tag, not the address. */
#define STACKREF_TAG 3
#define BUDGET_CHECK_EVERY 32

struct PyTasks {
    pid_t pid;
    PyLayout layout;
    PyAsyncioOffsets off;
    uint64_t int_type, str_type;
    uint64_t budget_end_ns;
    /* PyFrameState values, not in any offsets table: 3.14 counts from -3
     * (CREATED), 3.15 from 0 and adds a locked yield-from state. */
    int8_t yield_from, yield_from_locked, cleared;
    /* Where, below a suspended frame's stack pointer, the object it
     * awaits sits: 3.14 keeps it on top; 3.15's SEND keeps the value above
     * it. */
    unsigned await_slot;
};

static uint64_t
word(const uint8_t *bytes, size_t index)
{
    return PyMem_get_u64(bytes, index * 8);
}

static bool
inside(uint64_t off, uint64_t size, uint64_t struct_size)
{
    return off < struct_size && size <= struct_size - off;
}

bool
PyTasks_supported(const PyLayout *layout)
{
    return layout->minor >= 14 && layout->gen_iframe && layout->fr_stackpointer &&
           layout->set_table;
}

bool
PyTasks_parse_offsets(const uint8_t *b, size_t len, const PyLayout *layout, PyAsyncioOffsets *out)
{
    if (len < PY_ASYNCIO_OFFSETS_BYTES)
        return false;
    PyAsyncioOffsets o = {
        .task_size = word(b, 0),
        .task_name = word(b, 1),
        .task_awaited_by = word(b, 2),
        .task_is_task = word(b, 3),
        .task_awaited_by_is_set = word(b, 4),
        .task_coro = word(b, 5),
        .task_node = word(b, 6),
        .is_size = word(b, 7),
        .is_tasks_head = word(b, 8),
        .ts_size = word(b, 9),
        .ts_running_loop = word(b, 10),
        .ts_running_task = word(b, 11),
        .ts_tasks_head = word(b, 12),
    };
    /* A task is a Python object (its head first), its fields inside it;
     * the lists' heads and the per-thread fields inside their states,
     * whose sizes are the interpreter's own. */
    bool ok = o.task_size >= 32 && o.task_size <= TASK_READ_MAX && o.task_name >= 16 &&
              inside(o.task_name, 8, o.task_size) && o.task_awaited_by >= 16 &&
              inside(o.task_awaited_by, 8, o.task_size) && o.task_is_task >= 16 &&
              inside(o.task_is_task, 1, o.task_size) && o.task_awaited_by_is_set >= 16 &&
              inside(o.task_awaited_by_is_set, 1, o.task_size) && o.task_coro >= 16 &&
              inside(o.task_coro, 8, o.task_size) && o.task_node >= 16 &&
              inside(o.task_node, 16, o.task_size) && layout->is_size &&
              o.is_size == layout->is_size && inside(o.is_tasks_head, 16, o.is_size) &&
              o.ts_size <= 65536 && inside(o.ts_running_loop, 8, o.ts_size) &&
              inside(o.ts_running_task, 8, o.ts_size) && inside(o.ts_tasks_head, 16, o.ts_size);
    if (!ok)
        return false;
    *out = o;
    return true;
}

PyTasks *
PyTasks_new(pid_t pid, const PyLayout *layout, const PyAsyncioOffsets *offsets, uint64_t int_type,
            uint64_t str_type)
{
    PyTasks *t = xcalloc(1, sizeof(*t));
    t->pid = pid;
    t->layout = *layout;
    t->off = *offsets;
    t->int_type = int_type;
    t->str_type = str_type;
    if (layout->minor == 14) {
        t->yield_from = t->yield_from_locked = -1;
        t->cleared = 4;
        t->await_slot = 1;
    } else {
        t->yield_from = 2;
        t->yield_from_locked = 3;
        t->cleared = 5;
        t->await_slot = 2;
    }
    return t;
}

void
PyTasks_delete(PyTasks *tasks)
{
    free(tasks);
}

void
PyTasks_begin(PyTasks *tasks)
{
    tasks->budget_end_ns = Util_now_ns() + PY_TASKS_BUDGET_NS;
}

static void
task_clear(PyTask *task)
{
    free(task->name);
    free(task->frames);
    free(task->awaited_by);
    memset(task, 0, sizeof(*task));
}

void
PyTaskList_clear(PyTaskList *list)
{
    for (size_t i = 0; i < list->count; i++)
        task_clear(&list->tasks[i]);
    free(list->tasks);
    pid_t tid = list->tid;
    memset(list, 0, sizeof(*list));
    list->tid = tid;
}

/* ---- one task ------------------------------------------------------------ */

/* Copies the bytes at addr into buf, up to max and at least min (a read
 * that reaches the end of a mapping stops there): how many, 0 when fewer
 * than min could be read. */
static size_t
read_at_least(pid_t pid, uint64_t addr, void *buf, size_t min, size_t max)
{
    if (!addr || addr + max < addr)
        return 0;
    struct iovec local = {buf, max}, remote = {(void *)(uintptr_t)addr, max};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return n >= (ssize_t)min ? (size_t)n : 0;
}

/* The name: an int (a default name, "Task-N") or a str. */
static void
read_name(PyTasks *t, uint64_t addr, PyTask *out)
{
    const PyLayout *l = &t->layout;
    uint8_t head[NAME_READ];
    out->name_length = -1;
    size_t got = read_at_least(t->pid, addr, head, 64, sizeof(head));
    if (!got)
        return;
    uint64_t type = PyMem_get_u64(head, l->ob_type);
    if (type && type == t->int_type && l->long_digits + 8 <= sizeof(head)) {
        uint64_t tag = PyMem_get_u64(head, l->long_tag);
        uint64_t digits = tag >> 3, value = 0;
        uint32_t d[2];
        memcpy(d, head + l->long_digits, sizeof(d));
        if ((tag & 3) == 2 || digits > 2) /* negative, or past 60 bits */
            return;
        if (digits >= 1)
            value = d[0] & 0x3fffffff;
        if (digits == 2)
            value |= (uint64_t)(d[1] & 0x3fffffff) << 30;
        out->name = xasprintf("Task-%" PRIu64, value);
        out->name_length = (int64_t)strlen(out->name);
    } else if (type && type == t->str_type && l->str_length + 8 <= sizeof(head)) {
        int64_t length;
        uint32_t state;
        memcpy(&length, head + l->str_length, sizeof(length));
        memcpy(&state, head + l->str_state, sizeof(state));
        if (length < 0)
            return;
        /* Compact ASCII, whole in the head: no second read. */
        if ((state & 0x7c) == 0x64 && l->ascii_size <= got &&
            (uint64_t)length <= got - l->ascii_size) {
            out->name = xstrndup((const char *)head + l->ascii_size, (size_t)length);
        } else {
            char utf8[PY_TASK_NAME_CHARS * 4 + 1];
            if (PyStr_read(t->pid, l, addr, PY_TASK_NAME_CHARS, utf8, sizeof(utf8)) < 0)
                return;
            out->name = xstrdup(utf8);
        }
        out->name_length = length;
        out->name_cut = length > PY_TASK_NAME_CHARS;
    }
}

static void
add_frame(PyTask *out, size_t *cap, PyRawFrame frame)
{
    out->frames = xgrow(out->frames, cap, out->frame_count + 1, sizeof(*out->frames));
    out->frames[out->frame_count++] = frame;
}

/* The coroutine chain from the task's coroutine: each suspended in an
 * await of another coroutine of the same type is followed into it, as
 * CPython's own reader does; an await of anything else (a future, a
 * task) ends the chain. Stored outermost first, reversed by the caller. */
static void
read_chain(PyTasks *t, uint64_t coro, PyTask *out)
{
    const PyLayout *l = &t->layout;
    size_t cap = 0;
    size_t len = (size_t)(l->gen_iframe + l->fr_stackpointer + 8);
    if (len < l->gen_iframe + l->fr_read)
        len = (size_t)(l->gen_iframe + l->fr_read);
    if (len > GEN_READ_MAX) {
        out->frames_cut = true;
        return;
    }
    uint8_t g[GEN_READ_MAX];
    size_t got;
    uint64_t type = 0;
    uint64_t seen[PY_TASK_DEPTH_MAX];
    size_t depth = 0;
    while (coro) {
        if (depth == PY_TASK_DEPTH_MAX) {
            out->frames_cut = true;
            break;
        }
        for (size_t i = 0; i < depth; i++)
            if (seen[i] == coro) {
                out->frames_cut = true;
                return;
            }
        seen[depth++] = coro;
        if (!(got = read_at_least(t->pid, coro, g, len, sizeof(g)))) {
            out->frames_cut = true;
            break;
        }
        uint64_t this_type = PyMem_get_u64(g, l->ob_type);
        if (type && this_type != type)
            break; /* awaiting an iterator, not a coroutine */
        type = this_type;
        int8_t state = (int8_t)g[l->gen_frame_state];
        if (state == t->cleared)
            break;
        const uint8_t *f = g + l->gen_iframe;
        if (f[l->fr_owner] != FRAME_OWNED_BY_GENERATOR)
            break;
        uint64_t code = PyMem_get_u64(f, l->fr_code) & ~l->code_tag_bits;
        if (!code)
            break;
        uint64_t instr = PyMem_get_u64(f, l->fr_instr);
        uint64_t first = code + l->co_code_adaptive;
        int32_t lasti =
            instr >= first && instr - first < (1u << 30) ? (int32_t)((instr - first) / 2) : -1;
        add_frame(out, &cap, (PyRawFrame){code, coro + l->gen_iframe, lasti, false});
        if (state != t->yield_from && state != t->yield_from_locked)
            break;
        uint64_t sp = PyMem_get_u64(f, l->fr_stackpointer) & ~(uint64_t)7;
        uint64_t awaited = 0;
        if (!sp || sp < 8 * t->await_slot)
            break;
        uint64_t at = sp - 8 * t->await_slot;
        if (at >= coro && at - coro <= got - 8) /* the slots follow the frame */
            awaited = PyMem_get_u64(g, at - coro);
        else if (!PyMem_read_u64(t->pid, at, &awaited))
            break;
        coro = awaited & ~(uint64_t)STACKREF_TAG;
    }
}

static void
add_awaiter(PyTask *out, size_t *cap, uint64_t id)
{
    if (out->awaited_by_count == PY_TASK_AWAITERS_MAX) {
        out->awaited_by_cut = true;
        return;
    }
    out->awaited_by = xgrow(out->awaited_by, cap, out->awaited_by_count + 1, sizeof(uint64_t));
    out->awaited_by[out->awaited_by_count++] = id;
}

/* The awaiters: one object, or a set of them (its table's live keys). */
static void
read_awaiters(PyTasks *t, uint64_t ab, bool is_set, PyTask *out)
{
    const PyLayout *l = &t->layout;
    size_t cap = 0;
    if (!ab)
        return;
    if (!is_set) {
        add_awaiter(out, &cap, ab);
        return;
    }
    uint8_t set[128];
    size_t set_len = (size_t)(l->set_table > l->set_mask ? l->set_table : l->set_mask) + 8;
    if (l->set_used + 8 > set_len)
        set_len = (size_t)l->set_used + 8;
    if (set_len > sizeof(set) || !PyMem_read(t->pid, ab, set, set_len)) {
        out->awaited_by_cut = true;
        return;
    }
    int64_t used = (int64_t)PyMem_get_u64(set, l->set_used);
    uint64_t mask = PyMem_get_u64(set, l->set_mask), table = PyMem_get_u64(set, l->set_table);
    if (used < 0 || mask >= SET_TABLE_MAX || ((mask + 1) & mask) != 0 ||
        (uint64_t)used > mask + 1 || !table) {
        out->awaited_by_cut = true;
        return;
    }
    if (used == 0)
        return;
    size_t slots = (size_t)mask + 1;
    uint64_t *entries = xmalloc(slots * 16);
    if (!PyMem_read(t->pid, table, entries, slots * 16)) {
        out->awaited_by_cut = true;
        free(entries);
        return;
    }
    int64_t found = 0;
    for (size_t i = 0; i < slots && found < used; i++) {
        uint64_t key = entries[i * 2];
        if (!key)
            continue;
        found++;
        add_awaiter(out, &cap, key);
    }
    free(entries);
}

static void
read_task(PyTasks *t, uint64_t addr, const uint8_t *obj, uint64_t running, PyTask *out)
{
    const PyAsyncioOffsets *o = &t->off;
    out->id = addr;
    out->running = addr == running;
    read_name(t, PyMem_get_u64(obj, o->task_name), out);
    read_chain(t, PyMem_get_u64(obj, o->task_coro) & ~(uint64_t)STACKREF_TAG, out);
    /* Innermost first, as a thread's frames are. */
    for (size_t i = 0, j = out->frame_count; i + 1 < j; i++, j--) {
        PyRawFrame f = out->frames[i];
        out->frames[i] = out->frames[j - 1];
        out->frames[j - 1] = f;
    }
    read_awaiters(t, PyMem_get_u64(obj, o->task_awaited_by), obj[o->task_awaited_by_is_set] != 0,
                  out);
}

/* ---- the running task's await chain --------------------------------------- */

/* The first awaiter of the task whose bytes are obj, or 0. */
static uint64_t
first_awaiter(PyTasks *t, const uint8_t *obj)
{
    PyTask one = {0};
    read_awaiters(t, PyMem_get_u64(obj, t->off.task_awaited_by),
                  obj[t->off.task_awaited_by_is_set] != 0, &one);
    uint64_t id = one.awaited_by_count ? one.awaited_by[0] : 0;
    free(one.awaited_by);
    return id;
}

size_t
PyTasks_await_chain(PyTasks *t, uint64_t tstate, uint64_t *task_frame, PyRawFrame *out, size_t cap)
{
    const PyAsyncioOffsets *o = &t->off;
    uint64_t head[2];
    *task_frame = 0;
    bool adjacent = o->ts_running_task == o->ts_running_loop + 8;
    if (adjacent ? !PyMem_read(t->pid, tstate + o->ts_running_loop, head, sizeof(head))
                 : !PyMem_read_u64(t->pid, tstate + o->ts_running_loop, &head[0]) ||
                       !PyMem_read_u64(t->pid, tstate + o->ts_running_task, &head[1]))
        return 0;
    if (!head[0] || !head[1])
        return 0;
    uint8_t obj[TASK_READ_MAX];
    uint64_t task = head[1], seen[PY_AWAIT_CHAIN_TASKS + 1];
    if (!PyMem_read(t->pid, task, obj, (size_t)o->task_size) || !obj[o->task_is_task])
        return 0;
    *task_frame =
        (PyMem_get_u64(obj, o->task_coro) & ~(uint64_t)STACKREF_TAG) + t->layout.gen_iframe;
    seen[0] = task;
    size_t n = 0;
    for (size_t level = 1; level <= PY_AWAIT_CHAIN_TASKS; level++) {
        task = first_awaiter(t, obj);
        for (size_t i = 0; i < level && task; i++)
            if (seen[i] == task)
                task = 0; /* a loop: the chain ends */
        if (!task || !PyMem_read(t->pid, task, obj, (size_t)o->task_size) || !obj[o->task_is_task])
            break;
        seen[level] = task;
        PyTask awaiter = {0};
        read_chain(t, PyMem_get_u64(obj, o->task_coro) & ~(uint64_t)STACKREF_TAG, &awaiter);
        /* read_chain gives outermost first: innermost first here. */
        for (size_t i = awaiter.frame_count; i > 0 && n < cap; i--)
            out[n++] = awaiter.frames[i - 1];
        free(awaiter.frames);
        if (n == cap)
            break;
    }
    return n;
}

/* ---- a list of tasks ----------------------------------------------------- */

/* The tasks of the circular list whose head node is at head: each node is
 * a task's task_node, and must point back to the node before it. */
static void
read_list(PyTasks *t, uint64_t head, uint64_t running, PyTaskList *out)
{
    const PyAsyncioOffsets *o = &t->off;
    uint64_t node[2];
    if (!PyMem_read(t->pid, head, node, sizeof(node))) {
        out->cut = true;
        return;
    }
    uint64_t prev = head, next = node[0];
    uint8_t obj[TASK_READ_MAX];
    while (next != head) {
        if (out->count == PY_TASKS_MAX ||
            (out->count % BUDGET_CHECK_EVERY == 0 && Util_now_ns() > t->budget_end_ns) ||
            next < o->task_node) {
            out->cut = true;
            return;
        }
        uint64_t addr = next - o->task_node;
        if (!PyMem_read(t->pid, addr, obj, (size_t)o->task_size) ||
            PyMem_get_u64(obj, o->task_node + 8) != prev || !obj[o->task_is_task]) {
            out->cut = true;
            return;
        }
        out->tasks = xgrow(out->tasks, &out->cap, out->count + 1, sizeof(*out->tasks));
        PyTask *task = &out->tasks[out->count++];
        memset(task, 0, sizeof(*task));
        read_task(t, addr, obj, running, task);
        prev = next;
        next = PyMem_get_u64(obj, o->task_node);
    }
}

void
PyTasks_read_thread(PyTasks *t, pid_t tid, uint64_t tstate, PyTaskList *out)
{
    const PyAsyncioOffsets *o = &t->off;
    PyTaskList_clear(out);
    out->tid = tid;
    uint64_t loop = 0, running = 0;
    if (!PyMem_read_u64(t->pid, tstate + o->ts_running_loop, &loop) ||
        !PyMem_read_u64(t->pid, tstate + o->ts_running_task, &running)) {
        out->cut = true;
        return;
    }
    out->loop_running = loop != 0;
    read_list(t, tstate + o->ts_tasks_head, loop ? running : 0, out);
}

void
PyTasks_read_interpreter(PyTasks *t, uint64_t interp, PyTaskList *out)
{
    PyTaskList_clear(out);
    out->tid = 0;
    read_list(t, interp + t->off.is_tasks_head, 0, out);
}
