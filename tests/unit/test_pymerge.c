/* Unit tests for src/pymerge.c's decision: which native frames stay, where
 * the Python frames go, and when a sample counts as misaligned. Stacks are
 * written innermost first, one letter per native frame: E evaluation loop,
 * I interpreter, R C runtime, O other (an extension, a library); Python
 * frames one letter each, X closing a group (one loop call), x not. The
 * merged stack reads "n3" for native frame 3, "p1" for Python frame 1. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "pymerge.h"

typedef struct Case {
    const char *native;
    const char *python;
    bool native_complete, py_complete, blocked, native_all;
} Case;

/* The merged stack of c as "n0 p0 p1", and whether it was misaligned. */
static void
plan(const Case *c, char *out, size_t size, bool *misaligned)
{
    uint8_t classes[64];
    bool group_end[64];
    size_t nn = strlen(c->native), np = strlen(c->python);
    assert_true(nn <= 64 && np <= 64);
    for (size_t i = 0; i < nn; i++) {
        const char *letters = "EIRO";
        const char *at = strchr(letters, c->native[i]);
        assert_non_null(at);
        classes[i] = (uint8_t)(at - letters); /* the enum's order */
    }
    for (size_t i = 0; i < np; i++)
        group_end[i] = c->python[i] == 'X';
    PyMergePlanInput in = {
        .native = classes,
        .native_count = nn,
        .native_complete = c->native_complete,
        .group_end = group_end,
        .py_count = np,
        .py_complete = c->py_complete,
        .blocked = c->blocked,
        .native_all = c->native_all,
    };
    PyMergeStep steps[128];
    size_t n = PyMerge_plan(&in, steps, misaligned);
    assert_true(n <= nn + np);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%c%u", i ? " " : "",
                                steps[i].python ? 'p' : 'n', (unsigned)steps[i].index);
}

static void
expect(const Case *c, const char *want, bool want_misaligned)
{
    char got[512];
    bool misaligned;
    plan(c, got, sizeof(got), &misaligned);
    if (strcmp(got, want) != 0 || misaligned != want_misaligned)
        FAIL("native %s python %s: got '%s'%s, want '%s'%s", c->native, c->python, got,
             misaligned ? " (misaligned)" : "", want, want_misaligned ? " (misaligned)" : "");
}

/* 3.8: one frame per loop call. pymalloc under the inner loop, the
 * interpreter's main, libc's start-up and _start around the outer one: the
 * Python frames alone are left, the innermost one owns the time. */
static void
aligned_keeps_only_python(void **state)
{
    (void)state;
    Case c = {"IIEIEIRRI", "XX", true, true, false, false};
    expect(&c, "p0 p1", false);
}

/* 3.11+: several Python frames per loop call. */
static void
aligned_groups(void **state)
{
    (void)state;
    Case c = {"EIEI", "xXxxX", true, true, false, false};
    expect(&c, "p0 p1 p2 p3 p4", false);
}

/* malloc, memcpy, clock_gettime (and the vDSO under it) called by the
 * interpreter are the Python code's time. */
static void
runtime_under_interpreter_goes(void **state)
{
    (void)state;
    Case c = {"RRIEI", "X", true, true, false, false};
    expect(&c, "p0", false);
    Case direct = {"REI", "X", true, true, false, false};
    expect(&direct, "p0", false);
}

/* ... unless the thread waits in it: the blocking call under time.sleep. */
static void
blocked_leaf_stays(void **state)
{
    (void)state;
    Case c = {"RRIEI", "X", true, true, true, false};
    expect(&c, "n0 n1 p0", false);
    /* Only the innermost run: start-up code stays out. */
    Case start = {"RIEIRRI", "X", true, true, true, false};
    expect(&start, "n0 p0", false);
}

/* An extension module and the libraries it calls stay, the runtime they
 * call too; the interpreter's helpers an extension calls are its time. */
static void
extension_and_libraries_stay(void **state)
{
    (void)state;
    Case c = {"ROOIEI", "X", true, true, false, false};
    expect(&c, "n0 n1 n2 p0", false);
    Case helper = {"IIOIEI", "X", true, true, false, false};
    expect(&helper, "n2 p0", false);
    /* An extension calling back into Python (sorted's key, json's
     * default=): its frames between the two loop calls' Python frames. */
    Case callback = {"IEIOIEI", "XX", true, true, false, false};
    expect(&callback, "p0 n3 p1", false);
}

/* Thread start-up (start_thread, clone3) calls the interpreter: it goes.
 * An application embedding Python keeps its own start-up. */
static void
outermost_runtime(void **state)
{
    (void)state;
    Case thread = {"EIRR", "X", true, true, false, false};
    expect(&thread, "p0", false);
    Case embedded = {"EIORR", "X", true, true, false, false};
    expect(&embedded, "p0 n2 n3 n4", false);
}

/* A loop call entering or leaving: its frame not linked (yet, or any more).
 * The innermost loop call has no Python frame: it goes, not counted. */
static void
one_loop_call_more(void **state)
{
    (void)state;
    Case c = {"IEIEIEI", "XX", true, true, false, false};
    expect(&c, "p0 p1", false);
    Case native = {"IEIEI", "X", true, true, false, true};
    expect(&native, "n0 n1 n2 p0 n4", false);
}

/* The native unwind stopped early (deep recursion, the depth cap): loop
 * calls and groups pair from the innermost, the groups left go outermost. */
static void
native_unwind_cut(void **state)
{
    (void)state;
    Case c = {"IEIEI", "XXXX", false, true, false, false};
    expect(&c, "p0 p1 p2 p3", false);
    Case ext = {"OEIOIE", "XXXX", false, true, false, false};
    expect(&ext, "n0 p0 n3 p1 p2 p3", false);
}

/* The Python walk stopped early: the loop calls left go. */
static void
python_walk_cut(void **state)
{
    (void)state;
    Case c = {"EIOIEIEIEI", "XX", true, false, false, false};
    expect(&c, "p0 n2 p1", false);
}

/* No loop call recognised (an unknown build): the Python stack over the
 * native leaf, counted; never Python frames under _start. */
static void
misaligned_no_eval(void **state)
{
    (void)state;
    Case c = {"ROIIIRRI", "XXX", true, true, false, false};
    expect(&c, "n0 n1 p0 p1 p2", true);
    Case interp_leaf = {"IIIRRI", "XXX", true, true, false, false};
    expect(&interp_leaf, "p0 p1 p2", true);
    /* --native: the interpreter frames at the leaf too, not the rest. */
    Case native = {"OIIRIRRI", "XX", true, true, false, true};
    expect(&native, "n0 n1 n2 p0 p1", true);
}

/* Fewer loop calls than groups with a complete unwind, or two more than
 * groups: misaligned; the leaf is what runs inside the innermost loop call. */
static void
misaligned_counts(void **state)
{
    (void)state;
    Case fewer = {"OIEIEI", "XXX", true, true, false, false};
    expect(&fewer, "n0 p0 p1 p2", true);
    Case more = {"RIEIEIEI", "X", true, true, false, false};
    expect(&more, "p0", true);
    Case more_blocked = {"RIEIEIEI", "X", true, true, true, false};
    expect(&more_blocked, "n0 p0", true);
}

/* --native keeps every native frame; the loop calls become Python frames. */
static void
native_all_keeps_everything(void **state)
{
    (void)state;
    Case c = {"RIEIORIEIRRI", "XX", true, true, false, true};
    expect(&c, "n0 n1 p0 n3 n4 n5 n6 p1 n8 n9 n10 n11", false);
}

static void
module_classes(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        PyMergeClass want;
    } cases[] = {
        {"/usr/lib/x86_64-linux-gnu/libc.so.6", PYMERGE_RUNTIME},
        {"/lib/x86_64-linux-gnu/libc-2.31.so", PYMERGE_RUNTIME},
        {"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", PYMERGE_RUNTIME},
        {"/lib/ld-musl-x86_64.so.1", PYMERGE_RUNTIME},
        {"/usr/lib/x86_64-linux-gnu/libm.so.6", PYMERGE_RUNTIME},
        {"/usr/lib/x86_64-linux-gnu/libpthread.so.0", PYMERGE_RUNTIME},
        {"[vdso]", PYMERGE_RUNTIME},
        {"/root/.pyenv/versions/3.13.0/bin/python3.13", PYMERGE_INTERPRETER},
        {"/usr/bin/python3.11", PYMERGE_INTERPRETER},
        {"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", PYMERGE_OTHER},
        {"/usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so", PYMERGE_OTHER},
        {"/usr/lib/x86_64-linux-gnu/libcrypto.so.3", PYMERGE_OTHER},
        {"/usr/lib/x86_64-linux-gnu/libmagic.so.1", PYMERGE_OTHER},
        {"/opt/app/libcustom.so", PYMERGE_OTHER},
        {"/usr/bin/uwsgi", PYMERGE_OTHER},
        {"", PYMERGE_OTHER},
        {NULL, PYMERGE_OTHER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (PyMerge_module_class(cases[i].path) != cases[i].want)
            FAIL("%s: class %d, want %d", cases[i].path ? cases[i].path : "(null)",
                 (int)PyMerge_module_class(cases[i].path), (int)cases[i].want);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aligned_keeps_only_python),
        cmocka_unit_test(aligned_groups),
        cmocka_unit_test(runtime_under_interpreter_goes),
        cmocka_unit_test(blocked_leaf_stays),
        cmocka_unit_test(extension_and_libraries_stay),
        cmocka_unit_test(outermost_runtime),
        cmocka_unit_test(one_loop_call_more),
        cmocka_unit_test(native_unwind_cut),
        cmocka_unit_test(python_walk_cut),
        cmocka_unit_test(misaligned_no_eval),
        cmocka_unit_test(misaligned_counts),
        cmocka_unit_test(native_all_keeps_everything),
        cmocka_unit_test(module_classes),
    };
    return cmocka_run_group_tests_name("pymerge", tests, NULL, NULL);
}
