/* Unit tests for src/pytasks.c: task lists, names, coroutine chains and
 * awaiters read from objects laid out in this process's own memory as
 * CPython 3.14 lays them out (process_vm_readv reads this process like a
 * target), well-formed and hostile: a coroutine chain that loops, a list
 * link that does not point back, an awaiter set whose size is absurd;
 * and the await chain --async puts under a running task. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "pytasks.h"

/* Debian's 3.14.10: _Py_DebugOffsets and .AsyncioDebug. */
static PyLayout
layout_314(void)
{
    PyLayout l = {.minor = 14};
    l.is_size = 225864;
    l.ob_type = 8;
    l.str_length = 16;
    l.str_state = 32;
    l.ascii_size = 40;
    l.compact_size = 56;
    l.long_tag = 16;
    l.long_digits = 24;
    l.gen_iframe = 72;
    l.gen_frame_state = 67;
    l.fr_code = 0;
    l.fr_instr = 56;
    l.fr_owner = 74;
    l.fr_stackpointer = 64;
    l.fr_read = 80;
    l.co_code_adaptive = 208;
    l.code_tag_bits = 3;
    l.set_used = 24;
    l.set_mask = 32;
    l.set_table = 40;
    return l;
}

static const PyAsyncioOffsets offsets_314 = {
    .task_size = 168,
    .task_name = 136,
    .task_awaited_by = 96,
    .task_is_task = 108,
    .task_awaited_by_is_set = 109,
    .task_coro = 128,
    .task_node = 152,
    .is_size = 225864,
    .is_tasks_head = 10880,
    .ts_size = 936,
    .ts_running_loop = 864,
    .ts_running_task = 872,
    .ts_tasks_head = 880,
};

typedef struct FakeObject {
    _Alignas(16) uint8_t b[256];
} FakeObject;

static uint8_t int_type[16], str_type[16], coro_type[16], code[512];
static _Alignas(16) uint8_t tstate[936];

static void
put(void *obj, size_t off, uint64_t v)
{
    memcpy((uint8_t *)obj + off, &v, sizeof(v));
}

static uint64_t
addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* A compact ASCII str. */
static void
make_str(FakeObject *o, const char *s)
{
    memset(o, 0, sizeof(*o));
    put(o->b, 8, addr(str_type));
    put(o->b, 16, strlen(s));
    uint32_t state = 0x64; /* kind 1, compact, ascii */
    memcpy(o->b + 32, &state, sizeof(state));
    memcpy(o->b + 40, s, strlen(s));
}

static void
make_int(FakeObject *o, uint32_t value)
{
    memset(o, 0, sizeof(*o));
    put(o->b, 8, addr(int_type));
    put(o->b, 16, 1 << 3); /* one digit, positive */
    memcpy(o->b + 24, &value, sizeof(value));
}

/* A coroutine at instruction lasti, suspended awaiting awaited (0: not
 * awaiting another coroutine). */
static void
make_coro(FakeObject *o, uint32_t lasti, const FakeObject *awaited)
{
    memset(o, 0, sizeof(*o));
    put(o->b, 8, addr(coro_type));
    o->b[67] = awaited ? 0xff : 0xfe; /* FRAME_SUSPENDED_YIELD_FROM, _SUSPENDED */
    uint8_t *f = o->b + 72;
    put(f, 0, addr(code) | 1); /* a tagged _PyStackRef */
    put(f, 56, addr(code) + 208 + 2 * lasti);
    f[74] = 1;                    /* FRAME_OWNED_BY_GENERATOR */
    put(f, 64, addr(o->b + 200)); /* the stack pointer: the awaited below it */
    put(o->b, 192, awaited ? addr(awaited) : 0);
}

static void
make_task(FakeObject *o, const FakeObject *name, const FakeObject *coro)
{
    memset(o, 0, sizeof(*o));
    o->b[108] = 1; /* is_task */
    put(o->b, 136, addr(name));
    put(o->b, 128, coro ? addr(coro) : 0);
}

/* Links tasks (n of them) into tstate's list. */
static void
link_tasks(FakeObject **tasks, size_t n)
{
    uint64_t head = addr(tstate + 880);
    uint64_t prev = head;
    for (size_t i = 0; i < n; i++) {
        uint64_t node = addr(tasks[i]->b + 152);
        put(tasks[i]->b, 152 + 8, prev);
        if (i)
            put(tasks[i - 1]->b, 152, node);
        else
            put(tstate, 880, node);
        prev = node;
    }
    if (n)
        put(tasks[n - 1]->b, 152, head);
    else
        put(tstate, 880, head);
    put(tstate, 888, prev);
}

static PyTasks *
reader(void)
{
    PyLayout l = layout_314();
    assert_true(PyTasks_supported(&l));
    PyTasks *t = PyTasks_new(getpid(), &l, &offsets_314, addr(int_type), addr(str_type));
    PyTasks_begin(t);
    return t;
}

static FakeObject names[4], coros[4], tasks[3], set, table[1];

static void
graph_read(void **state)
{
    (void)state;
    memset(tstate, 0, sizeof(tstate));
    make_str(&names[0], "alpha");
    make_int(&names[1], 7);
    make_coro(&coros[1], 3, NULL);      /* inner: sleeping */
    make_coro(&coros[0], 9, &coros[1]); /* outer: awaits inner */
    make_coro(&coros[2], 1, NULL);
    make_task(&tasks[0], &names[0], &coros[0]);
    make_task(&tasks[1], &names[1], &coros[2]);
    /* tasks[1] is awaited by tasks[0] alone; tasks[0] by a set holding
     * tasks[1] and an empty slot. */
    put(tasks[1].b, 96, addr(tasks[0].b));
    memset(&set, 0, sizeof(set));
    uint64_t entries[8] = {0, 0, addr(tasks[1].b), 12345, 0, 0, 0, 0};
    memcpy(table, entries, sizeof(entries));
    put(set.b, 24, 1); /* used */
    put(set.b, 32, 3); /* mask: 4 slots */
    put(set.b, 40, addr(table));
    put(tasks[0].b, 96, addr(set.b));
    tasks[0].b[109] = 1;
    FakeObject *list[] = {&tasks[0], &tasks[1]};
    link_tasks(list, 2);
    put(tstate, 864, 0xdead0); /* a loop runs */
    put(tstate, 872, addr(tasks[1].b));

    PyTasks *t = reader();
    PyTaskList out = {0};
    PyTasks_read_thread(t, 42, addr(tstate), &out);
    assert_int_equal(out.tid, 42);
    assert_true(out.loop_running);
    assert_false(out.cut);
    assert_int_equal(out.count, 2);
    const PyTask *a = &out.tasks[0], *b = &out.tasks[1];
    assert_int_equal(a->id, addr(tasks[0].b));
    assert_string_equal(a->name, "alpha");
    assert_int_equal(a->name_length, 5);
    assert_false(a->running);
    assert_int_equal(a->frame_count, 2); /* innermost first */
    assert_int_equal(a->frames[0].lasti, 3);
    assert_int_equal(a->frames[1].lasti, 9);
    assert_int_equal(a->frames[0].code, addr(code));
    assert_false(a->frames_cut);
    assert_int_equal(a->awaited_by_count, 1);
    assert_int_equal(a->awaited_by[0], addr(tasks[1].b));
    assert_string_equal(b->name, "Task-7");
    assert_true(b->running);
    assert_int_equal(b->frame_count, 1);
    assert_int_equal(b->awaited_by_count, 1);
    assert_int_equal(b->awaited_by[0], addr(tasks[0].b));
    PyTaskList_clear(&out);
    PyTasks_delete(t);
}

static void
hostile_shapes(void **state)
{
    (void)state;
    memset(tstate, 0, sizeof(tstate));
    make_str(&names[0], "loop");
    /* Two coroutines awaiting each other. */
    make_coro(&coros[0], 1, &coros[1]);
    make_coro(&coros[1], 2, &coros[0]);
    make_task(&tasks[0], &names[0], &coros[0]);
    /* An awaiter set claiming 2^40 slots. */
    memset(&set, 0, sizeof(set));
    put(set.b, 24, 5);
    put(set.b, 32, (1ull << 40) - 1);
    put(set.b, 40, addr(table));
    put(tasks[0].b, 96, addr(set.b));
    tasks[0].b[109] = 1;
    make_task(&tasks[1], &names[0], NULL);
    make_task(&tasks[2], &names[0], NULL);
    FakeObject *list[] = {&tasks[0], &tasks[1], &tasks[2]};
    link_tasks(list, 3);
    /* tasks[2]'s back link points elsewhere: the list ends before it. */
    put(tasks[2].b, 160, addr(tasks[0].b + 152));

    PyTasks *t = reader();
    PyTaskList out = {0};
    PyTasks_read_thread(t, 7, addr(tstate), &out);
    assert_false(out.loop_running);
    assert_true(out.cut);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.tasks[0].frame_count, 2);
    assert_true(out.tasks[0].frames_cut);
    assert_int_equal(out.tasks[0].awaited_by_count, 0);
    assert_true(out.tasks[0].awaited_by_cut);
    assert_int_equal(out.tasks[1].frame_count, 0);
    PyTaskList_clear(&out);

    /* A task whose list node points to itself (a one-task cycle not
     * through the head): the back link fails on the second visit. */
    link_tasks(list, 1);
    put(tasks[0].b, 152, addr(tasks[0].b + 152));
    PyTasks_read_thread(t, 7, addr(tstate), &out);
    assert_true(out.cut);
    assert_int_equal(out.count, 1);
    PyTaskList_clear(&out);

    /* An unreadable thread state. */
    PyTasks_read_thread(t, 7, 8, &out);
    assert_true(out.cut);
    assert_int_equal(out.count, 0);
    PyTaskList_clear(&out);
    PyTasks_delete(t);
}

/* --async: the running task's frame, then its awaiter's coroutines, then
 * the awaiter's awaiter's; a loop back to the running task ends it. */
static void
await_chain(void **state)
{
    (void)state;
    memset(tstate, 0, sizeof(tstate));
    make_str(&names[0], "n");
    make_coro(&coros[0], 1, NULL);      /* the running task's */
    make_coro(&coros[2], 5, NULL);      /* the first awaiter's inner */
    make_coro(&coros[1], 4, &coros[2]); /* ... and outer coroutine */
    make_coro(&coros[3], 7, NULL);      /* the second awaiter's */
    make_task(&tasks[0], &names[0], &coros[0]);
    make_task(&tasks[1], &names[0], &coros[1]);
    make_task(&tasks[2], &names[0], &coros[3]);
    put(tasks[0].b, 96, addr(tasks[1].b));
    memset(&set, 0, sizeof(set));
    uint64_t entries[4] = {addr(tasks[2].b), 1, 0, 0};
    memcpy(table, entries, sizeof(entries));
    put(set.b, 24, 1);
    put(set.b, 32, 1);
    put(set.b, 40, addr(table));
    put(tasks[1].b, 96, addr(set.b));
    tasks[1].b[109] = 1;
    put(tasks[2].b, 96, addr(tasks[0].b)); /* a loop back */
    put(tstate, 864, 0xdead0);
    put(tstate, 872, addr(tasks[0].b));

    PyTasks *t = reader();
    PyRawFrame out[8];
    uint64_t task_frame;
    size_t n = PyTasks_await_chain(t, addr(tstate), &task_frame, out, 8);
    assert_int_equal(task_frame, addr(coros[0].b) + 72);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].lasti, 5); /* innermost first */
    assert_int_equal(out[1].lasti, 4);
    assert_int_equal(out[2].lasti, 7);
    assert_int_equal(PyTasks_await_chain(t, addr(tstate), &task_frame, out, 2), 2);
    /* No loop running: nothing. */
    put(tstate, 864, 0);
    assert_int_equal(PyTasks_await_chain(t, addr(tstate), &task_frame, out, 8), 0);
    assert_int_equal(task_frame, 0);
    PyTasks_delete(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(graph_read),
        cmocka_unit_test(hostile_shapes),
        cmocka_unit_test(await_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
