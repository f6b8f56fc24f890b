/* The text report: the hot list of the whole selection, then threads. */
#include "config.h"

#include "report_text.h"

#include <stdlib.h>
#include <time.h>

#include "aggregator.h"
#include "recreader.h"
#include "report_common.h"
#include "rowtext.h"
#include "texttable.h"
#include "util.h"

static AggSort
time_sort(AggSort sort)
{
    switch (sort) {
    case AGG_SORT_OWN_PCT:
        return AGG_SORT_OWN_TIME;
    case AGG_SORT_TOTAL_PCT:
        return AGG_SORT_TOTAL_TIME;
    case AGG_SORT_OWN_TIME:
    case AGG_SORT_TOTAL_TIME:
    case AGG_SORT_NAME:
        return sort;
    case AGG_SORT_COUNT:
        break;
    }
    return AGG_SORT_OWN_TIME;
}

static void
format_range(uint64_t ns, char *buf, size_t size)
{
    snprintf(buf, size, "%.1f s", (double)ns / 1e9);
}

static void
print_text_header(const RecReader *reader, const Symtab *symtab, const ReportOptions *o,
                  size_t selected, uint64_t idle_left_out, FILE *out)
{
    const RecHeader *h = RecReader_header(reader);
    const RecStatus *st = RecReader_status(reader);
    size_t nprocesses = Report_process_count(reader);
    fprintf(out, "spytop %s report: ", PACKAGE_VERSION);
    char *title = Report_title(reader, symtab, o);
    Util_fputs_escaped(title, out);
    free(title);
    if (h->host[0]) {
        fputs(" on ", out);
        Util_fputs_escaped(h->host, out);
    }
    fputc('\n', out);
    char when[64] = "?";
    time_t secs = (time_t)(h->start_unix_ns / 1000000000ull);
    struct tm tm;
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    size_t nsamples;
    RecReader_samples(reader, &nsamples);
    fprintf(out, "Recorded %s at %u Hz: %zu samples over %.1f s, %s\n", when, h->rate_hz, nsamples,
            (double)st->duration_ns / 1e9, st->complete ? "complete" : "incomplete");
    if (!st->complete) {
        fputs("Incomplete recording: ", out);
        Util_fputs_escaped(st->message, out);
        fputc('\n', out);
    }
    char from[32], to[32];
    format_range(o->from_ns, from, sizeof(from));
    if (o->to_ns == REPORT_TO_END)
        format_range(st->duration_ns, to, sizeof(to));
    else
        format_range(o->to_ns, to, sizeof(to));
    fprintf(out, "Selection: %s to %s, ", from, to);
    if (o->pid)
        fprintf(out, "process %d, ", (int)o->pid);
    else if (nprocesses > 1)
        fprintf(out, "all %zu processes, ", nprocesses);
    if (o->tid)
        fprintf(out, "thread %d, ", (int)o->tid);
    else
        fputs("all threads, ", out);
    fprintf(out, "%zu thread samples", selected);
    if (o->include_idle)
        fputs(" (idle included)", out);
    else
        fprintf(out, " (%llu idle left out)", (unsigned long long)idle_left_out);
    fprintf(out, ", by %s\n", o->by_line ? "line" : "function");
    /* Sleepers' stacks taken again rather than stopping them again. */
    size_t n;
    const Sample *samples = RecReader_samples(reader, &n);
    uint64_t reused = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t rel = samples[i].t_ns > h->start_mono_ns ? samples[i].t_ns - h->start_mono_ns : 0;
        if (samples[i].reused && rel >= o->from_ns && rel < o->to_ns &&
            (!o->pid || samples[i].pid == o->pid) && (!o->tid || samples[i].tid == o->tid))
            reused++;
    }
    if (reused)
        fprintf(out,
                "Reused: %llu samples of threads asleep since their last stop, which were not "
                "stopped again\n",
                (unsigned long long)reused);
    fputc('\n', out);
}

/* One row of the hot list into the table: the figures, the function ("??"
 * when unknown: the module column names where it is), its location and
 * its module. */
static void
add_row(TextTable *table, const Symtab *symtab, const AggRow *r, const AggTotals *totals,
        AggMode mode, bool full_paths)
{
    char own[16], total[16], figures[64];
    RowText_time(r->own_ns, own, sizeof(own));
    RowText_time(r->total_ns, total, sizeof(total));
    /* %Own and %Total are shares of samples, as in the live view, view and
     * the collapsed output; OwnTime and TotalTime are the time they stand
     * for (each sample weighs the interval to its thread's next one). */
    snprintf(figures, sizeof(figures), "%6.1f %6.1f %9s %9s",
             RowText_percent(r->own_window, totals->window_samples),
             RowText_percent(r->total_window, totals->window_samples), own, total);
    char *fn = RowText_function(symtab, r->function, SYMTAB_EMPTY);
    char *loc = RowText_location(symtab, r, mode);
    const char *file = Symtab_string(symtab, r->file);
    if (full_paths && file[0]) { /* the same, the path whole */
        free(loc);
        loc = mode == AGG_BY_LINE || r->line ? xasprintf("%s:%u", file, r->line) : xstrdup(file);
    }
    char *module = NULL;
    if (r->module != SYMTAB_EMPTY) {
        const char *name = RowText_module(symtab, r->module);
        module = name[0] == '[' ? xstrdup(name) : xasprintf("[%s]", name);
    }
    TextTable_add(table, (const char *const[]){figures, fn, loc, module});
    free(fn);
    free(loc);
    free(module);
}

/* Per process in the time range, when the recording holds several and
 * none is selected: samples, how many running, threads, command line. */
static void
print_processes(const RecReader *reader, const Symtab *symtab, const ReportOptions *o, FILE *out)
{
    size_t nprocesses, n;
    const RecProcess *processes = RecReader_processes(reader, &nprocesses);
    const Sample *samples = RecReader_samples(reader, &n);
    uint64_t start = RecReader_header(reader)->start_mono_ns;
    uint64_t *all = xcalloc(nprocesses, sizeof(uint64_t));
    uint64_t *active = xcalloc(nprocesses, sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) {
        uint64_t rel = samples[i].t_ns > start ? samples[i].t_ns - start : 0;
        if (rel < o->from_ns || rel >= o->to_ns || (o->tid && samples[i].tid != o->tid))
            continue;
        size_t k = (size_t)(RecReader_process(reader, samples[i].pid) - processes);
        all[k]++;
        if (!Aggregator_is_idle(&samples[i]))
            active[k]++;
    }
    fprintf(out, "\n%8s %8s %7s %7s  %s\n", "PID", "Samples", "Active", "Threads", "Command");
    for (size_t k = 0; k < nprocesses; k++) {
        fprintf(out, "%8d %8llu %6.1f%% %7zu  ", (int)processes[k].pid, (unsigned long long)all[k],
                RowText_percent(active[k], all[k]), processes[k].threads);
        Util_fputs_escaped(Symtab_string(symtab, processes[k].command), out);
        /* Let go before the recording's end (not with the others at its
         * end): it exited, or was followed no more. */
        uint64_t gone = processes[k].gone_ns;
        if (gone > start && gone - start < RecReader_status(reader)->duration_ns)
            fprintf(out, " (until %.1f s)", (double)(gone - start) / 1e9);
        fputc('\n', out);
    }
    free(all);
    free(active);
}

/* Per thread in the time range: samples, how many running, its name;
 * its process too when the recording holds several. */
static void
print_threads(const RecReader *reader, const Symtab *symtab, const ReportOptions *o, FILE *out)
{
    size_t nthreads, n;
    const RecThread *threads = RecReader_threads(reader, &nthreads);
    const Sample *samples = RecReader_samples(reader, &n);
    uint64_t start = RecReader_header(reader)->start_mono_ns;
    bool with_pid = Report_by_process(reader, o);
    uint64_t *all = xcalloc(nthreads ? nthreads : 1, sizeof(uint64_t));
    uint64_t *active = xcalloc(nthreads ? nthreads : 1, sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) {
        uint64_t rel = samples[i].t_ns > start ? samples[i].t_ns - start : 0;
        if (rel < o->from_ns || rel >= o->to_ns || (o->pid && samples[i].pid != o->pid))
            continue;
        const RecThread *t = RecReader_thread(reader, samples[i].tid);
        size_t k = (size_t)(t - threads);
        all[k]++;
        if (!Aggregator_is_idle(&samples[i]))
            active[k]++;
    }
    if (with_pid)
        fprintf(out, "\n%8s %8s %8s %7s  %s\n", "PID", "TID", "Samples", "Active", "Thread");
    else
        fprintf(out, "\n%8s %8s %7s  %s\n", "TID", "Samples", "Active", "Thread");
    for (size_t k = 0; k < nthreads; k++) {
        if (!all[k] || (o->tid && threads[k].tid != o->tid))
            continue;
        if (with_pid)
            fprintf(out, "%8d ", (int)threads[k].pid);
        fprintf(out, "%8d %8llu %6.1f%%  ", (int)threads[k].tid, (unsigned long long)all[k],
                RowText_percent(active[k], all[k]));
        Util_fputs_escaped(Symtab_string(symtab, threads[k].name), out);
        fputc('\n', out);
    }
    free(all);
    free(active);
}

int
Report_text(const RecReader *reader, Symtab *symtab, const ReportOptions *options, FILE *out)
{
    size_t npicks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    /* Idle samples the selection left out, to say so. */
    ReportOptions with_idle = *options;
    with_idle.include_idle = true;
    size_t nall;
    free(Report_select(reader, symtab, &with_idle, &nall));

    Aggregator *agg = Aggregator_new(symtab);
    for (size_t i = 0; i < npicks; i++)
        Aggregator_add(agg, picks[i].sample, picks[i].weight_ns);
    AggMode mode = options->by_line ? AGG_BY_LINE : AGG_BY_FUNCTION;
    AggQuery q = {
        .mode = mode,
        .sort = time_sort(options->sort),
        .tid = 0,
        .include_idle = true, /* already chosen above */
        .filter = NULL,
        .window_s = AGG_WINDOW_MAX_S,
        .cumulative = true, /* the whole selection, however long */
    };
    const AggRow *rows;
    AggTotals totals;
    size_t nrows = Aggregator_query(agg, &q, &rows, &totals);

    print_text_header(reader, symtab, options, npicks, (uint64_t)(nall - npicks), out);
    TextTable *table = TextTable_new(4);
    char figures[64];
    snprintf(figures, sizeof(figures), "%6s %6s %9s %9s", "%Own", "%Total", "OwnTime", "TotalTime");
    TextTable_add(table, (const char *const[]){figures, "Function", "Location", "[Module]"});
    for (size_t i = 0; i < nrows && (!options->rows || i < options->rows); i++)
        add_row(table, symtab, &rows[i], &totals, mode, options->full_paths);
    TextTable_print(table, out);
    TextTable_delete(table);
    if (nrows == 0)
        fputs("(no samples in the selection)\n", out);
    else if (options->rows && nrows > options->rows)
        fprintf(out, "(%zu more rows)\n", nrows - options->rows);
    if (Report_by_process(reader, options))
        print_processes(reader, symtab, options, out);
    print_threads(reader, symtab, options, out);
    Aggregator_delete(agg);
    free(picks);
    return Report_finish(out);
}
