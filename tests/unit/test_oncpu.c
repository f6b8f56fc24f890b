/* Unit tests for src/oncpu.c on threads of this test's own process: a
 * thread blocked in read() leaves its watch's mark alone; each time it is
 * woken, runs a few microseconds and blocks again, the mark moves. The
 * second is what the sampler's proof that a sleeper has not run rests on,
 * so it is tried many times. Skipped where perf events are not allowed. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "oncpu.h"
#include "proc.h"

/* A thread that echoes each byte of one pipe to another. */
typedef struct Echo {
    int in[2], out[2];
    pthread_t thread;
    pid_t tid;
} Echo;

static void *
echo_main(void *arg)
{
    Echo *echo = arg;
    __atomic_store_n(&echo->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    char c;
    while (read(echo->in[0], &c, 1) == 1)
        if (write(echo->out[1], &c, 1) != 1)
            break;
    return NULL;
}

static void
echo_start(Echo *echo)
{
    memset(echo, 0, sizeof(*echo));
    assert_int_equal(pipe(echo->in), 0);
    assert_int_equal(pipe(echo->out), 0);
    assert_int_equal(pthread_create(&echo->thread, NULL, echo_main, echo), 0);
    while (!__atomic_load_n(&echo->tid, __ATOMIC_ACQUIRE))
        usleep(100);
}

static void
echo_stop(Echo *echo)
{
    close(echo->in[1]);
    pthread_join(echo->thread, NULL);
    close(echo->in[0]);
    close(echo->out[0]);
    close(echo->out[1]);
}

/* One round trip: the thread wakes, runs, and goes back to sleep. */
static void
echo_once(Echo *echo)
{
    char c = 'x';
    assert_int_equal(write(echo->in[1], &c, 1), 1);
    assert_int_equal(read(echo->out[0], &c, 1), 1);
}

static void
sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The thread's mark once it is surely off its CPU: blocked (not R) by its
 * stat, with the mark unmoved over 50 us around that read. A thread seen
 * blocked may still be on its CPU for a few instructions on its way into
 * the scheduler (or find its data there and go on without sleeping): what
 * the sampler's proof takes care of (sampler.h), and what this waits out. */
static OnCpuMark
settled_mark(const OnCpuWatch *watch, pid_t tid)
{
    for (;;) {
        OnCpuMark m1, m2;
        ProcStat st;
        assert_true(OnCpuWatch_read(watch, &m1));
        struct timespec t = {0, 50000};
        nanosleep(&t, NULL);
        assert_int_equal(Proc_read_stat(getpid(), tid, &st), 0);
        assert_true(OnCpuWatch_read(watch, &m2));
        if (st.state != 'R' && OnCpuMark_equal(&m1, &m2))
            return m2;
    }
}

/* Opens a watch on tid, or skips the test where perf events are refused. */
static void
open_or_skip(OnCpuWatch *watch, pid_t tid)
{
    int err = OnCpuWatch_open(watch, tid);
    if (err != 0 && OnCpuWatch_refused_everywhere(err)) {
        print_message("perf events not allowed here (%s): skipped\n", strerror(-err));
        skip();
    }
    assert_int_equal(err, 0);
}

static void
asleep_keeps_mark(void **state)
{
    (void)state;
    Echo echo;
    echo_start(&echo);
    echo_once(&echo);
    OnCpuWatch watch;
    open_or_skip(&watch, echo.tid);
    /* Once it is back in read(), its mark stays: 20 looks over 100 ms. */
    sleep_ms(20);
    OnCpuMark first, now;
    assert_true(OnCpuWatch_read(&watch, &first));
    for (int i = 0; i < 20; i++) {
        sleep_ms(5);
        assert_true(OnCpuWatch_read(&watch, &now));
        if (!OnCpuMark_equal(&first, &now))
            fail_msg("look %d: the mark of a thread blocked in read() moved (seq %u -> %u)", i,
                     first.seq, now.seq);
    }
    OnCpuWatch_close(&watch);
    assert_int_equal(watch.fd, -1);
    echo_stop(&echo);
}

static void
every_wakeup_moves_mark(void **state)
{
    (void)state;
    Echo echo;
    echo_start(&echo);
    OnCpuWatch watch;
    open_or_skip(&watch, echo.tid);
    /* The thread may still be on its way back into read() when the reply
     * arrives. So each round trip starts from a mark taken once it is off
     * its CPU, and the round trip, however short, must move it. */
    int unmoved = 0, rounds = 2000;
    for (int i = 0; i < rounds; i++) {
        OnCpuMark before = settled_mark(&watch, echo.tid), after;
        echo_once(&echo);
        assert_true(OnCpuWatch_read(&watch, &after));
        if (OnCpuMark_equal(&before, &after))
            unmoved++;
    }
    if (unmoved)
        fail_msg("%d of %d wake-ups left the mark where it was", unmoved, rounds);
    OnCpuWatch_close(&watch);
    echo_stop(&echo);
}

static void
gone_thread_refused(void **state)
{
    (void)state;
    Echo echo;
    echo_start(&echo);
    pid_t tid = echo.tid;
    echo_stop(&echo);
    OnCpuWatch watch;
    int err = OnCpuWatch_open(&watch, tid);
    if (err != 0 && OnCpuWatch_refused_everywhere(err) && err != -ESRCH)
        skip();
    assert_int_equal(err, -ESRCH);
    assert_false(OnCpuWatch_refused_everywhere(err));
    assert_int_equal(watch.fd, -1);
    OnCpuMark mark;
    assert_false(OnCpuWatch_read(&watch, &mark));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(asleep_keeps_mark),
        cmocka_unit_test(every_wakeup_moves_mark),
        cmocka_unit_test(gone_thread_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
