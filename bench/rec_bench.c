/* Recording size and export speed ("Record a session" issue):
 *  - bytes per sample in steady state for a 4-thread, 30-frame workload
 *    over 60 s at 100 Hz (goal <= 4);
 *  - the time to write, read and export a one-hour recording at 100 Hz x
 *    8 threads (2.88 million samples) in every format, as a ratio to just
 *    reading it;
 *  - the peak memory of reading it the way `spytop view` does (reader +
 *    aggregator).
 * The workload is synthetic but shaped like a service: each thread calls
 * through the same 25 outer frames into one of a few hot paths. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aggregator.h"
#include "recreader.h"
#include "recwriter.h"
#include "report.h"
#include "symtab.h"
#include "util.h"

#define DEPTH 30
#define PATHS 6

static double
seconds(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* Stacks: thread t, path p (innermost frames differ per path). */
static StackId
make_stack(Symtab *st, int thread, int path)
{
    FrameId frames[DEPTH];
    char name[64];
    for (int i = 0; i < DEPTH; i++) {
        if (i < 5)
            snprintf(name, sizeof(name), "hot_%d_%d_level%d", thread, path, i);
        else
            snprintf(name, sizeof(name), "service_layer_%d", DEPTH - i);
        SymtabFrame f = {
            .function = Symtab_intern_cstr(st, name),
            .file = Symtab_intern_cstr(st, i < 5 ? "/srv/app/hot.c" : "/srv/app/service.c"),
            .module = Symtab_intern_cstr(st, "/srv/app/bin/server"),
            .line = (uint32_t)(10 + i * 7 + path),
            .kind = FRAME_NATIVE,
        };
        frames[i] = Symtab_intern_frame(st, &f);
    }
    return Symtab_intern_stack(st, frames, DEPTH);
}

/* Writes threads x rate x secs samples; returns the file's bytes. */
static uint64_t
write_recording(const char *path, int threads, unsigned rate, unsigned secs, uint64_t *took_ns)
{
    Symtab *st = Symtab_new();
    StackId stacks[8][PATHS];
    for (int t = 0; t < threads; t++)
        for (int p = 0; p < PATHS; p++)
            stacks[t][p] = make_stack(st, t, p);
    uint64_t start = 1000000000ull;
    RecHeader h = {.pid = 4242,
                   .command = "server --port 8080",
                   .exe = "/srv/app/bin/server",
                   .host = "bench",
                   .start_unix_ns = 1700000000000000000ull,
                   .start_mono_ns = start,
                   .rate_hz = rate};
    char *cause = NULL;
    unlink(path);
    uint64_t t0 = Util_now_ns();
    RecWriter *w = RecWriter_open(path, false, &h, &cause);
    if (!w) {
        fprintf(stderr, "rec_bench: %s\n", cause);
        exit(2);
    }
    uint64_t ticks = (uint64_t)rate * secs, interval = 1000000000ull / rate;
    unsigned seed = 1;
    for (uint64_t k = 0; k < ticks; k++) {
        for (int t = 0; t < threads; t++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly the first two paths, like a real hot spot. */
            unsigned r = (seed >> 16) % 100;
            int p = r < 60 ? 0 : r < 85 ? 1 : 2 + (int)(r % (PATHS - 2));
            Sample s = {.t_ns = start + k * interval + (uint64_t)t * 1000,
                        .tid = 100 + t,
                        .state = 'R',
                        .status = SAMPLE_OK,
                        .stack = stacks[t][p]};
            RecWriter_add_sample(w, st, &s);
        }
        if (k % rate == rate - 1)
            RecWriter_flush(w);
    }
    uint64_t bytes = RecWriter_bytes(w);
    if (RecWriter_close(w, &cause) < 0) {
        fprintf(stderr, "rec_bench: %s\n", cause);
        exit(2);
    }
    *took_ns = Util_now_ns() - t0;
    Symtab_delete(st);
    return bytes;
}

static long
peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char small[512], big[512], out[512];
    snprintf(small, sizeof(small), "%s/rec_bench-60s.spytop", dir);
    snprintf(big, sizeof(big), "%s/rec_bench-1h.spytop", dir);
    snprintf(out, sizeof(out), "%s/rec_bench.out", dir);

    uint64_t took;
    uint64_t bytes = write_recording(small, 4, 100, 60, &took);
    double per_sample = (double)bytes / (4.0 * 100 * 60);
    printf("recording size, 4 threads x 30 frames, 60 s at 100 Hz\n");
    printf("  %-40s %10llu\n", "bytes", (unsigned long long)bytes);
    printf("  %-40s %10.2f   goal <= 4: %s\n", "bytes per sample", per_sample,
           per_sample <= 4 ? "MET" : "NOT MET");

    bytes = write_recording(big, 8, 100, 3600, &took);
    printf("\none hour at 100 Hz x 8 threads (2.88 M samples)\n");
    printf("  %-40s %10.1f MiB, %.2f bytes a sample\n", "file", (double)bytes / 1048576.0,
           (double)bytes / 2880000.0);
    printf("  %-40s %10.2f s\n", "write (the recorder's whole cost)", seconds(took));

    long rss_before = peak_rss_kib();
    Symtab *st = Symtab_new();
    uint64_t t0 = Util_now_ns();
    char *cause = NULL;
    RecReader *r = RecReader_open(big, st, &cause);
    if (!r) {
        fprintf(stderr, "rec_bench: %s\n", cause);
        return 2;
    }
    uint64_t read_ns = Util_now_ns() - t0;
    size_t n;
    const Sample *samples = RecReader_samples(r, &n);
    Aggregator *agg = Aggregator_new(st);
    t0 = Util_now_ns();
    for (size_t i = 0; i < n; i++)
        Aggregator_add(agg, &samples[i], 10000000);
    uint64_t feed_ns = Util_now_ns() - t0;
    long rss_view = peak_rss_kib();
    printf("  %-40s %10.2f s   (%zu samples)\n", "read", seconds(read_ns), n);
    printf("  %-40s %10.2f s\n", "feed the view's aggregator", seconds(feed_ns));
    printf("  %-40s %10.1f MiB (%.1f MiB before reading)\n", "peak memory as `view`",
           (double)rss_view / 1024.0, (double)rss_before / 1024.0);

    static const ReportFormat formats[] = {REPORT_TEXT, REPORT_COLLAPSED, REPORT_SPEEDSCOPE,
                                           REPORT_PPROF, REPORT_SVG};
    printf("\n  %-40s %10s %10s\n", "report --format", "seconds", "/ read");
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        ReportOptions o;
        ReportOptions_init(&o);
        FILE *f = fopen(out, "w");
        if (!f)
            return 2;
        t0 = Util_now_ns();
        int e = Report_write(formats[i], r, st, &o, f);
        fclose(f);
        uint64_t ns = Util_now_ns() - t0;
        printf("  %-40s %10.2f %9.2fx%s\n", Report_format_name(formats[i]), seconds(ns),
               (double)ns / (double)read_ns, e ? "  (failed)" : "");
    }
    printf("  goal: seconds, not minutes\n");
    Aggregator_delete(agg);
    RecReader_delete(r);
    Symtab_delete(st);
    unlink(small);
    unlink(big);
    unlink(out);
    return 0;
}
