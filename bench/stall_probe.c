/* The probe target of the stall benchmark: it recurses to a given depth
 * and, at the bottom, reads CLOCK_MONOTONIC in a tight loop (with ~0.2 us
 * of arithmetic between reads) for a fixed time, keeping every gap between
 * two consecutive reads longer than a small threshold (2 us). A gap is
 * time the thread did not run: a ptrace stop, a preemption, an interrupt.
 * Nothing but the loop runs while it measures: the gap table is allocated
 * and touched beforehand and the results are written only when the time is
 * up.
 *
 * usage: stall_probe DEPTH MILLIS [THRESHOLD_NS]
 * prints "ready PID START_NS" (CLOCK_MONOTONIC, as every time below), spins
 * for MILLIS, then prints
 *   probe DEPTH LOOPS GAPS DROPPED START_NS END_NS
 *   gap START_NS LENGTH_NS        (one line per gap, in time order)
 *   end
 * and returns up through its recursion. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAX_GAPS (1u << 18)
#define PROBE_MAX_DEPTH 100000
#define PROBE_MAX_MILLIS (10 * 60 * 1000)
#define PROBE_DEFAULT_THRESHOLD_NS 2000
/* Bytes of locals per recursion level, so a deep stack is also a big one. */
#define PROBE_FRAME_PAD 64
/* Work between two clock reads (~0.2 us), so that most interrupts land in
 * the probe's own code rather than in the vDSO's clock_gettime, which not
 * every unwinder can walk out of. */
#define PROBE_WORK_STEPS 64

typedef struct Gap {
    uint64_t start_ns;
    uint64_t length_ns;
} Gap;

typedef struct Probe {
    int depth;
    uint64_t millis;
    uint64_t threshold_ns;
    Gap *gaps;
    size_t gap_count;
    size_t dropped;
    uint64_t loops;
    uint64_t start_ns, end_ns;
} Probe;

static volatile uint64_t probe_sink;

__attribute__((noinline)) static void
work(void)
{
    uint64_t x = probe_sink;
    for (unsigned i = 0; i < PROBE_WORK_STEPS; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    probe_sink = x;
}

static inline uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
parse_number(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The measuring loop: the only code that runs between "ready" and the
 * report. */
__attribute__((noinline)) static void
spin(Probe *p)
{
    p->start_ns = now_ns();
    printf("ready %d %" PRIu64 "\n", (int)getpid(), p->start_ns);
    if (fflush(stdout) != 0)
        exit(2);
    uint64_t end = p->start_ns + p->millis * 1000000u;
    uint64_t prev = now_ns();
    uint64_t loops = 0;
    for (;;) {
        uint64_t t = now_ns();
        loops++;
        if (t - prev > p->threshold_ns) {
            if (p->gap_count < PROBE_MAX_GAPS)
                p->gaps[p->gap_count++] = (Gap){prev, t - prev};
            else
                p->dropped++;
        }
        prev = t;
        if (t >= end)
            break;
        work();
    }
    p->loops = loops;
    p->end_ns = prev;
}

__attribute__((noinline)) static int
descend(Probe *p, int level)
{
    volatile uint8_t pad[PROBE_FRAME_PAD];
    pad[0] = (uint8_t)level;
    if (level <= 1)
        spin(p);
    else
        descend(p, level - 1);
    probe_sink += pad[0];
    return (int)probe_sink; /* not a tail call */
}

static int
report(const Probe *p)
{
    printf("probe %d %" PRIu64 " %zu %zu %" PRIu64 " %" PRIu64 "\n", p->depth, p->loops,
           p->gap_count, p->dropped, p->start_ns, p->end_ns);
    for (size_t i = 0; i < p->gap_count; i++)
        printf("gap %" PRIu64 " %" PRIu64 "\n", p->gaps[i].start_ns, p->gaps[i].length_ns);
    printf("end\n");
    return fflush(stdout) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
    Probe p = {.threshold_ns = PROBE_DEFAULT_THRESHOLD_NS};
    uint64_t depth;
    if (argc < 3 || argc > 4 || parse_number(argv[1], PROBE_MAX_DEPTH, &depth) < 0 ||
        parse_number(argv[2], PROBE_MAX_MILLIS, &p.millis) < 0 ||
        (argc == 4 && parse_number(argv[3], 1000000000u, &p.threshold_ns) < 0)) {
        fprintf(stderr, "usage: stall_probe DEPTH MILLIS [THRESHOLD_NS]\n");
        return 64;
    }
    p.depth = (int)depth;
    /* A forgotten probe ends by itself. */
    alarm((unsigned)(p.millis / 1000) + 60);
    p.gaps = malloc(PROBE_MAX_GAPS * sizeof(*p.gaps));
    if (!p.gaps) {
        fprintf(stderr, "stall_probe: out of memory\n");
        return 2;
    }
    /* Fault every page in now, not while measuring. */
    memset(p.gaps, 0, PROBE_MAX_GAPS * sizeof(*p.gaps));
    descend(&p, p.depth);
    int r = report(&p);
    free(p.gaps);
    return r == 0 ? 0 : 2;
}
