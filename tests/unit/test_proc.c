/* Unit tests for src/proc.c: the /proc parsers on hostile text, and the
 * readers on this test's own process and a thread it starts. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "proc.h"

/* ---- Proc_parse_stat ---------------------------------------------------- */

/* "pid (comm) STATE" then fields 4..last, field k holding 1000 + k except
 * the three the parser reads: 14 (utime), 15 (stime), 22 (start time). */
static char *
make_stat(const char *comm, char state, int last, uint64_t utime, uint64_t stime, uint64_t start)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fprintf(f, "4242 (%s) %c", comm, state);
    for (int k = 4; k <= last; k++) {
        uint64_t v = k == 14 ? utime : k == 15 ? stime : k == 22 ? start : (uint64_t)(1000 + k);
        fprintf(f, " %llu", (unsigned long long)v);
    }
    fputc('\n', f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
parse_stat_real_line(void **state)
{
    (void)state;
    /* A line as Linux 6.x prints it for cat(1), with utime 7, stime 3. */
    const char *line =
        "31654 (cat) R 31651 31651 29497 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 90770 "
        "3133440 355 18446744073709551615 94024710242304 94024710262185 140725313954000 0 0 0 "
        "0 0 0 0 0 0 17 1 0 0 0 0 0 94024710278192 94024710279808 94024992067584 "
        "140725313960589 140725313960609 140725313960609 140725313961963 0\n";
    ProcStat st;
    assert_int_equal(Proc_parse_stat(line, &st), 0);
    assert_string_equal(st.comm, "cat");
    assert_int_equal(st.state, 'R');
    assert_int_equal(st.utime_ticks, 7);
    assert_int_equal(st.stime_ticks, 3);
    assert_int_equal(st.start_ticks, 90770);
}

static void
parse_stat_fields_14_15_22(void **state)
{
    (void)state;
    char *line = make_stat("worker", 'S', 52, 111, 222, 333);
    ProcStat st;
    assert_int_equal(Proc_parse_stat(line, &st), 0);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.utime_ticks, 111);
    assert_int_equal(st.stime_ticks, 222);
    assert_int_equal(st.start_ticks, 333);
    free(line);

    /* 64-bit values survive (a start time is compared to pin a PID). */
    line = make_stat("big", 'D', 52, UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 40);
    assert_int_equal(Proc_parse_stat(line, &st), 0);
    assert_int_equal(st.state, 'D');
    assert_true(st.utime_ticks == UINT64_MAX);
    assert_true(st.stime_ticks == UINT64_MAX - 1);
    assert_true(st.start_ticks == (uint64_t)1 << 40);
    free(line);
}

static void
parse_stat_hostile_comm(void **state)
{
    (void)state;
    /* comm is whatever the target wrote with prctl(PR_SET_NAME): the
     * parser must count fields from the last ')'. */
    static const char *const comms[] = {
        ") R 1 (",
        "a) R 1 (b",
        "x) Z 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 (",
        "two words",
        "new\nline",
        ")",
        "))((",
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
        "",
    };
    for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
        char *line = make_stat(comms[i], 'T', 52, 14, 15, 22222);
        ProcStat st;
        int rc = Proc_parse_stat(line, &st);
        /* The name as comm has it: at most 15 bytes, so a longer one is cut. */
        size_t len = strlen(comms[i]) < 15 ? strlen(comms[i]) : 15;
        if (rc != 0 || strlen(st.comm) != len || memcmp(st.comm, comms[i], len) != 0)
            FAIL("comm #%zu: rc %d, name \"%s\"", i, rc, st.comm);
        if (st.state != 'T' || st.utime_ticks != 14 || st.stime_ticks != 15 ||
            st.start_ticks != 22222)
            FAIL("comm #%zu: rc %d state %c utime %llu stime %llu start %llu", i, rc, st.state,
                 (unsigned long long)st.utime_ticks, (unsigned long long)st.stime_ticks,
                 (unsigned long long)st.start_ticks);
        free(line);
    }
}

static void
parse_stat_exactly_22_fields(void **state)
{
    (void)state;
    char *line = make_stat("short", 'R', 22, 1, 2, 3);
    ProcStat st;
    assert_int_equal(Proc_parse_stat(line, &st), 0);
    assert_int_equal(st.start_ticks, 3);
    line[strlen(line) - 1] = '\0'; /* without the newline too */
    assert_int_equal(Proc_parse_stat(line, &st), 0);
    assert_int_equal(st.start_ticks, 3);
    free(line);
}

static void
parse_stat_truncated(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "",
        "4242",
        "4242 (cat",
        "4242 (cat)",
        "4242 (cat) ",
        "4242 (cat) R",
        "4242 (cat)R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
        "4242 (cat)  R 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
        /* fields 4..21: the start time is missing */
        "4242 (cat) R 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
        "4242 (cat) R 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21\n",
        "4242 (cat) R 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 ",
        /* field 22 is not a number */
        "4242 (cat) R 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 x 23",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        ProcStat st;
        int rc = Proc_parse_stat(lines[i], &st);
        if (rc != -EINVAL)
            FAIL("line #%zu \"%s\": got %d, want -EINVAL", i, lines[i], rc);
    }
    /* Every prefix of a good line short of field 22 is rejected. */
    char *line = make_stat("cat", 'S', 52, 1, 2, 3);
    const char *f22 = strstr(line, " 3 1023 ");
    assert_non_null(f22);
    for (size_t n = 0; line + n <= f22; n++) {
        char *prefix = strndup(line, n);
        ProcStat st;
        int rc = Proc_parse_stat(prefix, &st);
        if (rc != -EINVAL)
            FAIL("prefix of %zu bytes: got %d, want -EINVAL", n, rc);
        free(prefix);
    }
    free(line);
}

/* ---- Proc_maps_parse ---------------------------------------------------- */

static void
parse_one(const char *text, ProcMaps *maps)
{
    assert_int_equal(Proc_maps_parse(text, maps), 0);
}

static void
maps_parse_normal(void **state)
{
    (void)state;
    const char *text =
        "55d4a8e00000-55d4a8e02000 r--p 00000000 fd:01 1311823                    /usr/bin/cat\n"
        "55d4a8e02000-55d4a8e07000 r-xp 00002000 fd:01 1311823                    /usr/bin/cat\n"
        "55d4aa0c8000-55d4aa0e9000 rw-p 00000000 00:00 0                          [heap]\n"
        "7f3c1a600000-7f3c1a621000 rw-s 00000000 103:02 4294967296                /dev/shm/x\n"
        "7f3c1a800000-7f3c1a900000 rw-p 00000000 00:00 0 \n"
        "7f3c1aa00000-7f3c1ab00000 ---p 00000000 00:00 0\n"
        "7ffd8a1d0000-7ffd8a1f1000 rw-p 00000000 00:00 0                          [stack]\n"
        "7ffd8a1fc000-7ffd8a200000 r--p 00000000 00:00 0                          [vvar]\n"
        "7ffd8a200000-7ffd8a202000 r-xp 00000000 00:00 0                          [vdso]\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
    ProcMaps maps;
    parse_one(text, &maps);
    assert_int_equal(maps.count, 10);

    const ProcMap *m = &maps.maps[1];
    assert_true(m->start == 0x55d4a8e02000u && m->end == 0x55d4a8e07000u);
    assert_true(m->offset == 0x2000);
    assert_int_equal(m->dev_major, 0xfd);
    assert_int_equal(m->dev_minor, 1);
    assert_int_equal(m->inode, 1311823);
    assert_true(m->readable && !m->writable && m->executable && !m->shared);
    assert_string_equal(m->path, "/usr/bin/cat");

    assert_string_equal(maps.maps[0].path, "/usr/bin/cat");
    assert_false(maps.maps[0].executable);
    assert_string_equal(maps.maps[2].path, "[heap]");

    m = &maps.maps[3];
    assert_true(m->readable && m->writable && !m->executable && m->shared);
    assert_int_equal(m->dev_major, 0x103);
    assert_int_equal(m->dev_minor, 2);
    assert_true(m->inode == 4294967296u);
    assert_string_equal(m->path, "/dev/shm/x");

    assert_string_equal(maps.maps[4].path, ""); /* anonymous, trailing blank */
    assert_string_equal(maps.maps[5].path, ""); /* anonymous */
    assert_false(maps.maps[5].readable || maps.maps[5].writable || maps.maps[5].executable);
    assert_string_equal(maps.maps[6].path, "[stack]");
    assert_string_equal(maps.maps[7].path, "[vvar]");
    assert_string_equal(maps.maps[8].path, "[vdso]");
    assert_true(maps.maps[8].executable);
    m = &maps.maps[9];
    assert_true(m->start == 0xffffffffff600000u && m->end == 0xffffffffff601000u);
    assert_string_equal(m->path, "[vsyscall]");
    Proc_maps_done(&maps);
    assert_null(maps.maps);
    assert_int_equal(maps.count, 0);
}

static void
maps_parse_paths_byte_exact(void **state)
{
    (void)state;
    /* The kernel shows a newline in a file name as \012 and passes ESC and
     * other bytes raw; the parser keeps them as they are (escaping is the
     * printer's job), including spaces and the " (deleted)" suffix. */
    static const char *const paths[] = {
        "/tmp/my lib.so",
        "/tmp/  two  spaces  ",
        "/tmp/evil\\012name.so",
        "/tmp/\x1b[2J\x1b]0;pwned\x07.so",
        "/tmp/c1\x9b"
        "31m.so",
        "/tmp/\xff\xfe not utf-8",
        "/usr/lib/libfoo.so.1 (deleted)",
        "/memfd:jit (deleted)",
        "[anon:arena]",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "7f0000000000-7f0000001000 r-xp 00000000 08:01 42   %s\n",
                 paths[i]);
        ProcMaps maps;
        parse_one(line, &maps);
        assert_int_equal(maps.count, 1);
        if (strcmp(maps.maps[0].path, paths[i]) != 0)
            FAIL("path #%zu not kept byte-exact", i);
        assert_int_equal(maps.maps[0].inode, 42);
        Proc_maps_done(&maps);
    }
}

static void
maps_parse_garbage_skipped(void **state)
{
    (void)state;
    const char *text = "garbage\n"
                       "\n"
                       "1000-2000 r-xp 00000000 00:00 0 /good/one\n"
                       "zzzz-3000 r-xp 00000000 00:00 0 /bad/start\n"
                       "3000 r-xp 00000000 00:00 0 /bad/no-end\n"
                       "5000-4000 r-xp 00000000 00:00 0 /bad/end-before-start\n"
                       "4000-5000 r-x 00000000 00:00 0 /bad/short-perms\n"
                       "4000-5000 r-xp zz 00:00 0 /bad/offset\n"
                       "4000-5000 r-xp 00000000 0000 0 /bad/dev\n"
                       "4000-5000 r-xp 00000000 00:00 /bad/inode\n"
                       "4000-5000 r-xp 00000000 00:00\n"
                       "4000-5000\n"
                       "-\n"
                       "\x1b\xff\x9b\x01\n"
                       "6000-7000 rw-p 00000000 00:00 0 /good/two\n"
                       "   \n";
    ProcMaps maps;
    parse_one(text, &maps);
    assert_int_equal(maps.count, 2);
    assert_string_equal(maps.maps[0].path, "/good/one");
    assert_string_equal(maps.maps[1].path, "/good/two");
    Proc_maps_done(&maps);
}

static void
maps_parse_huge_lines(void **state)
{
    (void)state;
    const size_t big = 1u << 20;
    const char *head = "1000-2000 r-xp 00000000 00:00 7 /";
    char *text = malloc(2 * big + 256);
    assert_non_null(text);

    /* A 1 MB line of garbage between two good lines is skipped. */
    size_t n = (size_t)sprintf(text, "1000-2000 r-xp 00000000 00:00 0 /a\n");
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)sprintf(text + n, "\n3000-4000 r-xp 00000000 00:00 0 /b\n");
    ProcMaps maps;
    parse_one(text, &maps);
    assert_int_equal(maps.count, 2);
    assert_string_equal(maps.maps[1].path, "/b");
    Proc_maps_done(&maps);

    /* A good line with a 1 MB path keeps all of it, without a newline. */
    n = (size_t)sprintf(text, "%s", head);
    memset(text + n, 'p', big);
    text[n + big] = '\0';
    parse_one(text, &maps);
    assert_int_equal(maps.count, 1);
    assert_int_equal(strlen(maps.maps[0].path), big + 1);
    assert_int_equal(maps.maps[0].inode, 7);
    Proc_maps_done(&maps);
    free(text);
}

static void
maps_parse_empty(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "\n", "\n\n\n", " "};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        ProcMaps maps;
        parse_one(texts[i], &maps);
        assert_int_equal(maps.count, 0);
        assert_null(Proc_maps_find(&maps, 0));
        Proc_maps_done(&maps);
    }
}

static void
maps_parse_last_line_without_newline(void **state)
{
    (void)state;
    ProcMaps maps;
    parse_one("1000-2000 r-xp 00000000 00:00 0 /a\n2000-3000 r--p 00000000 00:00 0 /b", &maps);
    assert_int_equal(maps.count, 2);
    assert_string_equal(maps.maps[1].path, "/b");
    Proc_maps_done(&maps);
}

/* ---- Proc_maps_find ----------------------------------------------------- */

static void
maps_find_boundaries(void **state)
{
    (void)state;
    /* [1000,2000) [2000,3000) gap [5000,6000) ... [ffffffffff600000,...) */
    ProcMaps maps;
    parse_one("1000-2000 r-xp 00000000 00:00 0 /a\n"
              "2000-3000 r-xp 00000000 00:00 0 /b\n"
              "5000-6000 r-xp 00000000 00:00 0 /c\n"
              "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n",
              &maps);
    assert_int_equal(maps.count, 4);
    static const struct {
        uint64_t addr;
        int index; /* -1: no map */
    } cases[] = {
        {0, -1},
        {0xfff, -1},
        {0x1000, 0},
        {0x1fff, 0},
        {0x2000, 1},
        {0x2fff, 1},
        {0x3000, -1},
        {0x4fff, -1},
        {0x5000, 2},
        {0x5fff, 2},
        {0x6000, -1},
        {0xffffffffff5fffffu, -1},
        {0xffffffffff600000u, 3},
        {0xffffffffff600fffu, 3},
        {0xffffffffff601000u, -1},
        {UINT64_MAX, -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ProcMap *m = Proc_maps_find(&maps, cases[i].addr);
        const ProcMap *want = cases[i].index < 0 ? NULL : &maps.maps[cases[i].index];
        if (m != want)
            FAIL("addr %#llx: got map %td, want %d", (unsigned long long)cases[i].addr,
                 m ? m - maps.maps : -1, cases[i].index);
    }
    Proc_maps_done(&maps);
}

static void
maps_find_single_and_empty(void **state)
{
    (void)state;
    ProcMaps maps = {NULL, 0};
    assert_null(Proc_maps_find(&maps, 0));
    assert_null(Proc_maps_find(&maps, 0x1000));
    assert_null(Proc_maps_find(&maps, UINT64_MAX));

    parse_one("1000-2000 r-xp 00000000 00:00 0 /a\n", &maps);
    assert_null(Proc_maps_find(&maps, 0xfff));
    assert_ptr_equal(Proc_maps_find(&maps, 0x1000), &maps.maps[0]);
    assert_ptr_equal(Proc_maps_find(&maps, 0x1fff), &maps.maps[0]);
    assert_null(Proc_maps_find(&maps, 0x2000));
    Proc_maps_done(&maps);
}

static void
maps_find_agrees_with_linear_search(void **state)
{
    (void)state;
    /* 1000 maps of varied sizes, some adjacent, some with gaps; every
     * boundary and its neighbours is looked up. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    uint64_t addr = 0x10000;
    for (int i = 0; i < 1000; i++) {
        uint64_t size = 0x1000 * (uint64_t)(1 + i % 7);
        fprintf(f, "%llx-%llx r-xp 00000000 00:00 0 /m%d\n", (unsigned long long)addr,
                (unsigned long long)(addr + size), i);
        addr += size + (i % 3 == 0 ? 0 : 0x1000 * (uint64_t)(i % 5));
    }
    assert_int_equal(fclose(f), 0);
    ProcMaps maps;
    parse_one(buf, &maps);
    free(buf);
    assert_int_equal(maps.count, 1000);
    for (size_t i = 0; i < maps.count; i++) {
        uint64_t probes[] = {maps.maps[i].start - 1, maps.maps[i].start, maps.maps[i].start + 1,
                             maps.maps[i].end - 1, maps.maps[i].end};
        for (size_t j = 0; j < sizeof(probes) / sizeof(probes[0]); j++) {
            const ProcMap *want = NULL;
            for (size_t k = 0; k < maps.count; k++)
                if (probes[j] >= maps.maps[k].start && probes[j] < maps.maps[k].end)
                    want = &maps.maps[k];
            if (Proc_maps_find(&maps, probes[j]) != want)
                FAIL("addr %#llx: wrong map", (unsigned long long)probes[j]);
        }
    }
    Proc_maps_done(&maps);
}

/* ---- names -------------------------------------------------------------- */

static void
state_names(void **state)
{
    (void)state;
    assert_string_equal(Proc_state_name('R'), "running");
    assert_string_equal(Proc_state_name('S'), "sleeping");
    assert_string_equal(Proc_state_name('D'), "disk wait");
    assert_string_equal(Proc_state_name('T'), "stopped");
    assert_string_equal(Proc_state_name('t'), "tracing stop");
    assert_string_equal(Proc_state_name('Z'), "zombie");
    assert_string_equal(Proc_state_name('X'), "dead");
    assert_string_equal(Proc_state_name('I'), "idle");
    assert_string_equal(Proc_state_name('P'), "parked");
    assert_string_equal(Proc_state_name('?'), "unknown");
    assert_string_equal(Proc_state_name('\0'), "unknown");
    assert_string_equal(Proc_state_name('\x1b'), "unknown");
}

static void
syscall_names(void **state)
{
    (void)state;
    assert_string_equal(Proc_syscall_name(0), "read");
    assert_string_equal(Proc_syscall_name(1), "write");
    assert_string_equal(Proc_syscall_name(SYS_futex), "futex");
    assert_string_equal(Proc_syscall_name(SYS_nanosleep), "nanosleep");
    assert_string_equal(Proc_syscall_name(SYS_exit_group), "exit_group");
    assert_string_equal(Proc_syscall_name(SYS_epoll_wait), "epoll_wait");
    assert_null(Proc_syscall_name(-1));
    assert_null(Proc_syscall_name(LONG_MIN));
    assert_null(Proc_syscall_name(100000));
    assert_null(Proc_syscall_name(LONG_MAX));
    assert_null(Proc_syscall_name(400)); /* x86-64 leaves 335..423 unassigned */
    /* Any number is NULL or a plain name: nothing is read past the table. */
    long last = -1;
    for (long nr = 0; nr < 4096; nr++) {
        const char *name = Proc_syscall_name(nr);
        if (!name)
            continue;
        last = nr;
        assert_true(name[0] != '\0' &&
                    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name));
    }
    assert_true(last >= SYS_exit_group);
}

/* ---- this process and a thread it starts -------------------------------- */

typedef struct Helper {
    pthread_t thread;
    int pipe_fds[2];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t tid; /* 0 until the thread runs */
} Helper;

static void *
helper_main(void *arg)
{
    Helper *h = arg;
    pthread_mutex_lock(&h->lock);
    h->tid = (pid_t)syscall(SYS_gettid);
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
    char c;
    while (read(h->pipe_fds[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

/* Starts a thread that blocks in read(2) until helper_stop. */
static void
helper_start(Helper *h)
{
    memset(h, 0, sizeof(*h));
    assert_int_equal(pipe(h->pipe_fds), 0);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    assert_int_equal(pthread_create(&h->thread, NULL, helper_main, h), 0);
    pthread_mutex_lock(&h->lock);
    while (h->tid == 0)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

/* Waits (up to 5 s) until the helper sleeps in its read. */
static void
helper_wait_blocked(const Helper *h)
{
    for (int i = 0; i < 500; i++) {
        ProcStat st;
        if (Proc_read_stat(getpid(), h->tid, &st) == 0 && st.state == 'S' &&
            Proc_blocked_syscall(getpid(), h->tid) == SYS_read)
            return;
        usleep(10000);
    }
    FAIL("helper thread %d never blocked in read(2)", (int)h->tid);
}

static void
helper_stop(Helper *h)
{
    assert_int_equal(write(h->pipe_fds[1], "x", 1), 1);
    assert_int_equal(pthread_join(h->thread, NULL), 0);
    close(h->pipe_fds[0]);
    close(h->pipe_fds[1]);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
}

static uint64_t
boottime_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    long hz = sysconf(_SC_CLK_TCK);
    return (uint64_t)ts.tv_sec * (uint64_t)hz + (uint64_t)ts.tv_nsec / (1000000000u / (uint64_t)hz);
}

static void
read_stat_self(void **state)
{
    (void)state;
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    ProcStat proc, thread;
    assert_int_equal(Proc_read_stat(pid, 0, &proc), 0);
    assert_int_equal(Proc_read_stat(pid, tid, &thread), 0);
    assert_int_equal(thread.state, 'R'); /* it is running: reading its stat */
    /* The main thread started with the process, a moment ago. */
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t now = boottime_ticks();
    assert_true(thread.start_ticks == proc.start_ticks);
    assert_true(proc.start_ticks <= now + 1);
    assert_true(now - proc.start_ticks < 120 * (uint64_t)hz);

    /* Fields 14 and 15 count this thread's CPU time: burn 300 ms of it. */
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    volatile uint64_t sink = 0;
    do {
        for (int i = 0; i < 100000; i++)
            sink += (uint64_t)i * 7;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 300000000L);
    ProcStat after;
    assert_int_equal(Proc_read_stat(pid, tid, &after), 0);
    uint64_t ticks = after.utime_ticks + after.stime_ticks;
    uint64_t before = thread.utime_ticks + thread.stime_ticks;
    assert_true(ticks >= before + (uint64_t)hz / 10); /* >= 100 ms of the 300 */
    assert_true(ticks <= before + 60 * (uint64_t)hz);
    assert_true(after.utime_ticks >= thread.utime_ticks);
}

static void
read_stat_no_such_process(void **state)
{
    (void)state;
    ProcStat st;
    assert_int_equal(Proc_read_stat(INT_MAX, 0, &st), -ENOENT); /* above any pid_max */
    assert_int_equal(Proc_read_stat(getpid(), INT_MAX, &st), -ENOENT);
    pid_t *tids = NULL;
    size_t count = 0;
    assert_int_equal(Proc_list_threads(INT_MAX, &tids, &count), -ENOENT);
    char name[16] = "junk";
    assert_int_equal(Proc_thread_name(INT_MAX, 0, name, sizeof(name)), -ENOENT);
    assert_string_equal(name, "");
}

static void
threads_of_self(void **state)
{
    (void)state;
    pid_t pid = getpid();
    Helper h;
    helper_start(&h);
    /* 15 bytes: the longest comm, read back whole into 16. */
    assert_int_equal(pthread_setname_np(h.thread, "unit-helper-15b"), 0);
    helper_wait_blocked(&h);

    pid_t *tids = NULL;
    size_t count = 0;
    assert_int_equal(Proc_list_threads(pid, &tids, &count), 0);
    assert_int_equal(count, 2);
    bool seen_main = false, seen_helper = false;
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            assert_true(tids[i - 1] < tids[i]);
        seen_main |= tids[i] == pid;
        seen_helper |= tids[i] == h.tid;
    }
    free(tids);
    assert_true(seen_main);
    assert_true(seen_helper);

    char name[16];
    assert_int_equal(Proc_thread_name(pid, h.tid, name, sizeof(name)), 0);
    assert_string_equal(name, "unit-helper-15b");
    char want[16] = "";
    assert_int_equal(prctl(PR_GET_NAME, want, 0, 0, 0), 0);
    assert_int_equal(Proc_thread_name(pid, pid, name, sizeof(name)), 0);
    assert_string_equal(name, want);
    assert_int_equal(Proc_thread_name(pid, 0, name, sizeof(name)), 0);
    assert_string_equal(name, want);

    /* A short name, with no leftover from the longer one. */
    assert_int_equal(pthread_setname_np(h.thread, "w1"), 0);
    assert_int_equal(Proc_thread_name(pid, h.tid, name, sizeof(name)), 0);
    assert_string_equal(name, "w1");

    /* The helper sleeps in read(2), and started after the process. */
    ProcStat st, proc;
    assert_int_equal(Proc_read_stat(pid, h.tid, &st), 0);
    assert_int_equal(st.state, 'S');
    assert_int_equal(Proc_read_stat(pid, 0, &proc), 0);
    assert_true(st.start_ticks >= proc.start_ticks);
    assert_true(st.start_ticks <= boottime_ticks() + 1);
    long nr = Proc_blocked_syscall(pid, h.tid);
    assert_int_equal(nr, SYS_read);
    assert_string_equal(Proc_syscall_name(nr), "read");

    helper_stop(&h);

    /* Once joined, the thread leaves the list (pthread_join can return a
     * moment before the kernel reaps it). */
    for (int i = 0;; i++) {
        assert_int_equal(Proc_list_threads(pid, &tids, &count), 0);
        if (count == 1 || i == 500)
            break;
        free(tids);
        usleep(10000);
    }
    assert_int_equal(count, 1);
    assert_int_equal(tids[0], pid);
    free(tids);
}

static void
tracer_and_exe_of_self(void **state)
{
    (void)state;
    assert_int_equal(Proc_tracer_pid(getpid(), 0), 0);
    assert_int_equal(Proc_tracer_pid(getpid(), (pid_t)syscall(SYS_gettid)), 0);
    char want[4096];
    ssize_t n = readlink("/proc/self/exe", want, sizeof(want) - 1);
    assert_true(n > 0);
    want[n] = '\0';
    char *exe = Proc_exe(getpid());
    assert_non_null(exe);
    assert_string_equal(exe, want);
    free(exe);
}

static void
parse_tracer_pid(void **state)
{
    (void)state;
    assert_int_equal(Proc_parse_tracer_pid("Name:\tx\nState:\tS (sleeping)\nTracerPid:\t0\n"), 0);
    assert_int_equal(Proc_parse_tracer_pid("Name:\tx\nTracerPid:\t4242\nUid:\t0\n"), 4242);
    /* Only the field's own line counts, not a name that contains it. */
    assert_int_equal(Proc_parse_tracer_pid("Name:\tTracerPid: 7\nUid:\t0\n"), -EINVAL);
    assert_int_equal(Proc_parse_tracer_pid(""), -EINVAL);
    assert_int_equal(Proc_parse_tracer_pid("Name:\tx\nTracerPid:\t\n"), -EINVAL);
    /* Never a negative number that would read as -errno. */
    assert_int_equal(Proc_parse_tracer_pid("Name:\tx\nTracerPid:\t-5\n"), -EINVAL);
    assert_int_equal(Proc_parse_tracer_pid("Name:\tx\nTracerPid:\t99999999999\n"), -EINVAL);
}

static void
maps_read_self(void **state)
{
    (void)state;
    ProcMaps maps;
    assert_int_equal(Proc_maps_read(getpid(), &maps), 0);
    assert_true(maps.count > 5);
    for (size_t i = 1; i < maps.count; i++)
        assert_true(maps.maps[i - 1].end <= maps.maps[i].start);

    /* This function's code is in an executable map of the test binary. */
    const ProcMap *m = Proc_maps_find(&maps, (uint64_t)(uintptr_t)&maps_read_self);
    assert_non_null(m);
    assert_true(m->executable);
    char *exe = Proc_exe(getpid());
    assert_non_null(exe);
    assert_string_equal(m->path, exe);
    free(exe);

    /* A local lives on the main thread's stack. */
    int local = 0;
    m = Proc_maps_find(&maps, (uint64_t)(uintptr_t)&local);
    assert_non_null(m);
    assert_string_equal(m->path, "[stack]");
    assert_true(m->readable && m->writable);
    Proc_maps_done(&maps);
}

/* schedstat: run time, wait time, times put on a CPU. */
static void
parse_schedstat_lines(void **state)
{
    (void)state;
    uint64_t run, slices;
    assert_int_equal(Proc_parse_schedstat("123456789 42 17\n", &run, &slices), 0);
    assert_int_equal(run, 123456789);
    assert_int_equal(slices, 17);
    assert_int_equal(Proc_parse_schedstat("1 2\n", &run, &slices), -EINVAL);
    assert_int_equal(Proc_parse_schedstat("", &run, &slices), -EINVAL);
    assert_int_equal(Proc_parse_schedstat("x y z", &run, &slices), -EINVAL);
}

/* /proc/TID/syscall as the kernel prints it, and what it prints when the
 * thread is not in a system call. */
static void
parse_syscall_lines(void **state)
{
    (void)state;
    long nr;
    uint64_t sp, pc;
    assert_int_equal(Proc_parse_syscall("232 0x7 0x7f7388636eb4 0x1 0xffffffff 0x0 0x7ffcdcb18a97 "
                                        "0x7f7388636e80 0x7f73893b4f36\n",
                                        &nr, &sp, &pc),
                     0);
    assert_int_equal(nr, 232);
    assert_int_equal(sp, 0x7f7388636e80ull);
    assert_int_equal(pc, 0x7f73893b4f36ull);
    assert_int_equal(Proc_parse_syscall("running\n", &nr, &sp, &pc), -EAGAIN);
    assert_int_equal(Proc_parse_syscall("-1 0x7ffd1 0x401000\n", &nr, &sp, &pc), 0);
    assert_int_equal(nr, -1);
    assert_int_equal(sp, 0x7ffd1ull);
    assert_int_equal(pc, 0x401000ull);
    assert_int_equal(Proc_parse_syscall("-1 0x7ffd1\n", &nr, &sp, &pc), -EINVAL);
    assert_int_equal(Proc_parse_syscall("-2 0x7ffd1 0x401000\n", &nr, &sp, &pc), -EINVAL);
    assert_int_equal(Proc_parse_syscall("232 0x7 0x1\n", &nr, &sp, &pc), -EINVAL);
    assert_int_equal(Proc_parse_syscall("x 0x7\n", &nr, &sp, &pc), -EINVAL);
    assert_int_equal(Proc_parse_syscall("", &nr, &sp, &pc), -EINVAL);
    assert_int_equal(
        Proc_parse_syscall("34 0x0 0x0 0x2 0x7f 0x0 0x7f 0x7f73892a7ea0 0xzz\n", &nr, &sp, &pc),
        -EINVAL);
}

/* This thread's own files: reading its syscall file, it is in read(2). */
static void
syscall_and_schedstat_of_self(void **state)
{
    (void)state;
    char path[64], text[512];
    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)syscall(SYS_gettid));
    FILE *f = fopen(path, "r");
    if (!f)
        skip();
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    long nr;
    uint64_t sp, pc;
    assert_int_equal(Proc_parse_syscall(text, &nr, &sp, &pc), 0);
    assert_int_equal(nr, SYS_read);
    assert_true(sp != 0 && pc != 0);
    snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)syscall(SYS_gettid));
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    uint64_t run, slices;
    assert_int_equal(Proc_parse_schedstat(text, &run, &slices), 0);
    assert_true(run > 0 && slices > 0);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_stat_real_line),
        cmocka_unit_test(parse_stat_fields_14_15_22),
        cmocka_unit_test(parse_stat_hostile_comm),
        cmocka_unit_test(parse_stat_exactly_22_fields),
        cmocka_unit_test(parse_stat_truncated),
        cmocka_unit_test(maps_parse_normal),
        cmocka_unit_test(maps_parse_paths_byte_exact),
        cmocka_unit_test(maps_parse_garbage_skipped),
        cmocka_unit_test(maps_parse_huge_lines),
        cmocka_unit_test(maps_parse_empty),
        cmocka_unit_test(maps_parse_last_line_without_newline),
        cmocka_unit_test(maps_find_boundaries),
        cmocka_unit_test(maps_find_single_and_empty),
        cmocka_unit_test(maps_find_agrees_with_linear_search),
        cmocka_unit_test(state_names),
        cmocka_unit_test(syscall_names),
        cmocka_unit_test(read_stat_self),
        cmocka_unit_test(read_stat_no_such_process),
        cmocka_unit_test(threads_of_self),
        cmocka_unit_test(parse_tracer_pid),
        cmocka_unit_test(tracer_and_exe_of_self),
        cmocka_unit_test(maps_read_self),
        cmocka_unit_test(parse_schedstat_lines),
        cmocka_unit_test(parse_syscall_lines),
        cmocka_unit_test(syscall_and_schedstat_of_self),
    };
    return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
