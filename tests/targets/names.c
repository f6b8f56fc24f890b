/* A process whose every name tries to steer a terminal: its comm and its
 * threads' names, the symbols of its hot functions and (when the test runs
 * it from such a directory) its path, arguments and library path hold ESC,
 * an OSC that sets the window title, C1 CSI (0x9B, raw and as U+009B), a
 * bidi override (U+202E), a newline and ") R 1 (" (a stat-line parser that
 * takes the first ')' misreads the fields).
 *
 *   names [LIB]          main spins in names_hot; thread 2 spins in LIB's
 *                        names_lib_hot (dlopen'ed), or in names_hot too;
 *                        thread 3 sleeps in names_wait.
 *   names tracer         forks a child and seizes it with ptrace: the child
 *                        is traced by a process with a hostile comm. Prints
 *                        "child PID" before "ready".
 *
 * The exact names are in names.h, which the tests' checks repeat. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "common.h"
#include "names.h"

/* The symbol names are asm labels: any bytes but NUL, '"' and newline. */
__attribute__((noinline)) void names_hot(void) __asm__("\"" NAMES_HOT_SYMBOL "\"");
__attribute__((noinline)) void names_wait(void) __asm__("\"" NAMES_WAIT_SYMBOL "\"");

/* Spins in its own body, so that it is the leaf of its stacks. */
void
names_hot(void)
{
    for (;;)
        target_sink++;
}

void
names_wait(void)
{
    for (;;)
        pause();
}

/* Threads that have named themselves: "ready" waits for both, so no dump
 * catches one still being born under its parent's name. */
static volatile int named;

static void *
worker(void *lib)
{
    prctl(PR_SET_NAME, NAMES_THREAD2);
    __atomic_add_fetch(&named, 1, __ATOMIC_SEQ_CST);
    if (lib) {
        void (*fn)(void) = (void (*)(void))dlsym(lib, NAMES_LIB_SYMBOL);
        if (!fn) {
            fprintf(stderr, "dlsym: %s\n", dlerror());
            exit(1);
        }
        fn();
    }
    names_hot();
    return NULL;
}

static void *
sleeper(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, NAMES_THREAD3);
    __atomic_add_fetch(&named, 1, __ATOMIC_SEQ_CST);
    names_wait();
    return NULL;
}

static int
tracer(void)
{
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(TARGET_LIFETIME_SECONDS);
        for (;;)
            pause();
    }
    if (child < 0 || ptrace(PTRACE_SEIZE, child, 0, 0) != 0) {
        perror("fork/ptrace");
        return 1;
    }
    printf("child %d\n", (int)child);
    target_ready();
    for (;;)
        pause();
}

int
main(int argc, char **argv)
{
    prctl(PR_SET_NAME, NAMES_COMM);
    if (argc > 1 && strcmp(argv[1], "tracer") == 0)
        return tracer();
    void *lib = NULL;
    if (argc > 1) {
        lib = dlopen(argv[1], RTLD_NOW);
        if (!lib) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 1;
        }
    }
    pthread_t t2, t3;
    if (pthread_create(&t2, NULL, worker, lib) != 0 ||
        pthread_create(&t3, NULL, sleeper, NULL) != 0)
        return 1;
    while (__atomic_load_n(&named, __ATOMIC_SEQ_CST) < 2)
        usleep(1000);
    target_ready();
    names_hot();
    return 0;
}
