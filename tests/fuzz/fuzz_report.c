/* The recording reader and the reports behind both recording harnesses:
 * whatever the reader recovers from a damaged file is what a user then
 * exports, so every format runs on it. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "recreader.h"
#include "report.h"
#include "symtab.h"

#define FUZZ_REPORT_SAMPLES_MAX 500

static FILE *
sink(void)
{
    static FILE *devnull;
    if (!devnull) {
        devnull = fopen("/dev/null", "we");
        FUZZ_CHECK(devnull != NULL);
    }
    return devnull;
}

/* What the reader hands out must hold together: sizes, ids, threads. */
static void
check_reader(const RecReader *r, const Symtab *symtab, size_t size)
{
    const RecStatus *status = RecReader_status(r);
    FUZZ_CHECK(status->message != NULL);
    FUZZ_CHECK(status->bytes_total == size);
    FUZZ_CHECK(status->bytes_read <= status->bytes_total);
    const RecHeader *h = RecReader_header(r);
    FUZZ_CHECK(h->command && h->exe && h->host);
    FUZZ_CHECK(h->time_unit_ns >= 1);

    size_t n_samples, n_threads, n_modules;
    const Sample *samples = RecReader_samples(r, &n_samples);
    const RecThread *threads = RecReader_threads(r, &n_threads);
    const RecModule *modules = RecReader_modules(r, &n_modules);
    for (size_t i = 0; i < n_samples; i++) {
        const Sample *s = &samples[i];
        FUZZ_CHECK(s->tid > 0);
        FUZZ_CHECK(s->stack < Symtab_stack_count(symtab));
        FUZZ_CHECK(RecReader_thread(r, s->tid) != NULL);
        FUZZ_CHECK(RecReader_process(r, s->pid) != NULL);
        FUZZ_CHECK(RecReader_thread_name_at(r, s->tid, s->t_ns) < Symtab_string_count(symtab));
    }
    uint64_t counted = 0;
    for (size_t i = 0; i < n_threads; i++) {
        FUZZ_CHECK(i == 0 || threads[i - 1].tid < threads[i].tid);
        FUZZ_CHECK(threads[i].name < Symtab_string_count(symtab));
        FUZZ_CHECK(threads[i].first_ns <= threads[i].last_ns);
        counted += threads[i].samples;
    }
    FUZZ_CHECK(counted == n_samples);
    size_t n_processes;
    const RecProcess *processes = RecReader_processes(r, &n_processes);
    counted = 0;
    for (size_t i = 0; i < n_processes; i++) {
        FUZZ_CHECK(i == 0 || processes[i - 1].pid < processes[i].pid);
        FUZZ_CHECK(processes[i].command < Symtab_string_count(symtab));
        FUZZ_CHECK(processes[i].first_ns <= processes[i].last_ns);
        FUZZ_CHECK(processes[i].threads <= processes[i].samples);
        counted += processes[i].samples;
    }
    FUZZ_CHECK(counted == n_samples);
    FUZZ_CHECK(h->pid == 0 || RecReader_process(r, h->pid) != NULL);
    for (size_t i = 0; i < n_modules; i++)
        FUZZ_CHECK(modules[i].path < Symtab_string_count(symtab) &&
                   modules[i].build_id < Symtab_string_count(symtab));
}

/* Options from the input's last byte, so the fuzzer steers them too
 * (a 0 byte, common in recordings, gives the defaults of spytop report). */
static void
pick_options(ReportOptions *o, const RecReader *r, const uint8_t *data, size_t size)
{
    uint8_t bits = size ? data[size - 1] : 0;
    ReportOptions_init(o);
    o->include_idle = bits & 1;
    o->by_line = bits & 2;
    o->thread_roots = !(bits & 4);
    o->rows = bits & 8 ? 0 : 50;
    o->sort = (AggSort)((AGG_SORT_OWN_TIME + (bits >> 4)) % AGG_SORT_COUNT);
    if (bits & 0x40) {
        size_t n;
        const Sample *samples = RecReader_samples(r, &n);
        if (n)
            o->pid = samples[n / 3].pid; /* one process of several */
    }
    if (bits & 0x80) {
        size_t n;
        const Sample *samples = RecReader_samples(r, &n);
        const RecStatus *status = RecReader_status(r);
        if (n)
            o->tid = samples[n / 2].tid;
        o->from_ns = status->duration_ns / 4;
        o->to_ns = status->duration_ns / 2 + 1;
    }
}

void
Fuzz_recording(const uint8_t *data, size_t size)
{
    Symtab *symtab = Symtab_new();
    char *cause = NULL;
    RecReader *r = RecReader_open_buffer(data, size, "fuzz.spytop", symtab, &cause);
    if (!r) {
        FUZZ_CHECK(cause != NULL);
        free(cause);
        Symtab_delete(symtab);
        return;
    }
    FUZZ_CHECK(cause == NULL);
    check_reader(r, symtab, size);

    /* Reports cost most of the time, and their bugs come from odd stacks,
     * threads and times rather than from many samples: one format per
     * input, picked by its size (so every cut of a file tries them all),
     * and past a point only the reader runs, to keep the fuzzer's pace. */
    static const ReportFormat formats[] = {REPORT_TEXT,  REPORT_COLLAPSED, REPORT_SPEEDSCOPE,
                                           REPORT_PPROF, REPORT_SVG,       REPORT_CHROME,
                                           REPORT_GECKO};
    size_t n_samples;
    RecReader_samples(r, &n_samples);
    if (n_samples <= FUZZ_REPORT_SAMPLES_MAX) {
        ReportOptions options;
        pick_options(&options, r, data, size);
        ReportFormat format = formats[size % (sizeof(formats) / sizeof(formats[0]))];
        FUZZ_CHECK(Report_write(format, r, symtab, &options, sink()) == 0);
    }
    RecReader_delete(r);
    Symtab_delete(symtab);
}
