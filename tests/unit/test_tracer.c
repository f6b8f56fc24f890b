/* Unit tests for src/tracer.c on a child process of this test's own.
 *
 * The exec deadlock: an execve waits, holding the mutex that PTRACE_SEIZE
 * takes, until the process's other threads are reaped, and a traced thread
 * is reaped only by its tracer. The child here has a thread the Tracer
 * traces (it ran), and a parked one (it slept) that calls execve while the
 * test does not reap: the traced thread's exit waits for the test, the
 * execve waits for that exit, and seizing the execing thread (as the
 * sampler does when a parked thread's run mark moved) waits for the
 * execve. Tracer_interrupt must come back all the same (the seize's timer
 * reaps the exit), and the exec be counted. Skipped where
 * ptrace is not allowed. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "tracer.h"
#include "util.h"

static int go_pipe[2], report_pipe[2];

static void
report_tid(void)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(report_pipe[1], &tid, sizeof(tid)) != (ssize_t)sizeof(tid))
        _exit(3);
}

static void *
spinner(void *arg)
{
    (void)arg;
    report_tid();
    for (volatile unsigned long n = 0;; n++)
        ;
    return NULL;
}

static void *
sleeper(void *arg)
{
    (void)arg;
    report_tid();
    for (;;)
        pause();
    return NULL;
}

static void *
execer(void *arg)
{
    (void)arg;
    report_tid();
    char c;
    if (read(go_pipe[0], &c, 1) != 1)
        _exit(3);
    static char name[] = "sleep", seconds[] = "10";
    char *args[] = {name, seconds, NULL};
    execv("/bin/sleep", args);
    _exit(4);
}

/* The child: a spinner, a sleeper and the execer; main sleeps. Never
 * returns. */
static void
child_main(void)
{
    alarm(20);
    pthread_t t;
    void *(*mains[])(void *) = {spinner, sleeper, execer};
    for (size_t i = 0; i < 3; i++) {
        if (pthread_create(&t, NULL, mains[i], NULL) != 0)
            _exit(2);
        /* One at a time: the tids come in this order. */
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (;;)
        pause();
}

static pid_t
read_tid(void)
{
    pid_t tid = 0;
    if (read(report_pipe[0], &tid, sizeof(tid)) != (ssize_t)sizeof(tid))
        return 0;
    return tid;
}

/* Waits for thread's stop (the one asked for), at most a second. */
static bool
wait_stop(Tracer *tracer, pid_t tid)
{
    uint64_t deadline = Util_now_ns() + 1000000000ull;
    while (Util_now_ns() < deadline) {
        TraceThread *stopped;
        int r = Tracer_poll_thread(tracer, tid, &stopped);
        if (r == 1)
            return true;
        if (r < 0)
            return false;
        struct timespec ts = {0, 100 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void
seize_during_exec_returns(void **state)
{
    (void)state;
    assert_int_equal(pipe(go_pipe), 0);
    assert_int_equal(pipe(report_pipe), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        child_main();
    pid_t spin_tid = read_tid(), sleep_tid = read_tid(), exec_tid = read_tid();
    assert_true(spin_tid > 0 && sleep_tid > 0 && exec_tid > 0);
    struct timespec settle = {0, 50 * 1000 * 1000};
    nanosleep(&settle, NULL); /* the sleeper and the execer are blocked now */

    Tracer *tracer = Tracer_new(child);
    Tracer_seize_on_demand(tracer, true);
    int r = Tracer_seize(tracer, child);
    if (r == -EPERM) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        Tracer_delete(tracer);
        skip();
    }
    assert_int_equal(r, 0);
    assert_true(Tracer_sync_threads(tracer) >= 0);
    TraceThread *spin = Tracer_find(tracer, spin_tid);
    TraceThread *sleeper_thread = Tracer_find(tracer, sleep_tid);
    assert_non_null(spin);
    assert_non_null(sleeper_thread);
    assert_int_equal(spin->state, TRACE_PARKED);
    assert_int_equal(sleeper_thread->state, TRACE_PARKED);

    /* The spinner is seized and stopped once, then resumed: traced. */
    assert_int_equal(Tracer_interrupt(tracer, spin), 0);
    assert_true(wait_stop(tracer, spin_tid));
    spin = Tracer_find(tracer, spin_tid);
    assert_int_equal(Tracer_resume(tracer, spin), 0);

    /* The exec: it kills the spinner, whose exit waits for this test. */
    assert_int_equal(write(go_pipe[1], "x", 1), 1);
    nanosleep(&settle, NULL);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)child, (int)spin_tid);
    diag("the spinner's exit waits to be reaped: %s", access(path, F_OK) == 0 ? "yes" : "no");

    /* Seizing the parked execer waits for its execve: it must come back. */
    uint64_t start = Util_now_ns();
    TraceThread *execer_thread = Tracer_find(tracer, exec_tid);
    assert_non_null(execer_thread);
    assert_int_equal(execer_thread->state, TRACE_PARKED);
    alarm(10); /* a hang is the failure: SIGALRM ends the test */
    r = Tracer_interrupt(tracer, execer_thread);
    alarm(0);
    uint64_t took = Util_now_ns() - start;
    diag("Tracer_interrupt of the execing thread: %d after %.1f ms", r, (double)took / 1e6);
    assert_int_equal(r, -ESRCH); /* its tid is the leader's now */
    assert_true(took < 2000000000ull);

    /* The exec, seen by the seize or found by a sync: the new program is
     * followed. */
    TraceThread *stopped;
    while (Tracer_poll(tracer, &stopped) == 1)
        Tracer_resume(tracer, stopped);
    assert_true(Tracer_sync_threads(tracer) >= 0);
    assert_int_equal(Tracer_exec_count(tracer), 1);
    assert_null(Tracer_find(tracer, spin_tid));
    TraceThread *leader = Tracer_find(tracer, child);
    assert_non_null(leader);
    assert_int_equal(leader->state, TRACE_RUNNING);

    Tracer_detach_all(tracer, 1000000000ull);
    Tracer_delete(tracer);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(go_pipe[0]);
    close(go_pipe[1]);
    close(report_pipe[0]);
    close(report_pipe[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seize_during_exec_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
