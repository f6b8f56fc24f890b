#include "config.h"

#include "batch.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

#include "rowtext.h"
#include "texttable.h"
#include "launch.h"
#include "proc.h"
#include "util.h"

struct Batch {
    BatchOptions options;
    Symtab *symtab;
    FILE *out;
    unsigned printed;
    int write_error; /* errno of a failed write of the tables, or 0 */
    bool processes;  /* several processes were followed: name them */
    Consumer consumer;
};

static void
print_header(Batch *b, const RunStatus *s, const AggTotals *t)
{
    FILE *out = b->out;
    fprintf(out, "spytop %s: PID %d ", PACKAGE_VERSION, (int)s->pid);
    Util_fputs_escaped(s->command, out);
    fprintf(out, ", %.1f s", (double)s->elapsed_ns / 1e9);
    if (s->exited) {
        fputs(", target exited", out);
        if (s->exit_known) {
            char how[64];
            Launch_describe_exit(s->exit_status, how, sizeof(how));
            fprintf(out, " (%s)", how);
        }
    }
    fputc('\n', out);
    if (b->processes) {
        fprintf(out, "Processes: %zu followed, %zu since the start", s->processes,
                s->processes_seen);
        if (s->processes_skipped)
            fprintf(out, ", %zu not followed", s->processes_skipped);
        fputc('\n', out);
    }
    fprintf(out,
            "Threads: %zu (%zu running, %zu sleeping, %zu stopped, %zu late), %zu stopped per "
            "tick, target CPU %.0f%%, spytop CPU %.1f%%",
            s->threads, s->running, s->sleeping, s->stopped, s->late_threads, s->stopped_per_tick,
            s->target_cpu_pct, s->spytop_cpu_pct);
    if (s->python) {
        /* misaligned: samples whose Python and native frames did not
         * line up (shown as the Python stack over the native leaf). */
        fprintf(out, ", %s, GIL held %.0f%% of ticks, %llu misaligned", s->python, s->gil_pct,
                (unsigned long long)s->python_mismatches);
    }
    fputc('\n', out);
    if (s->message) {
        Util_fputs_escaped(s->message, out);
        fputc('\n', out);
    }
    if (s->processes_skipped_text && s->processes_skipped_text != s->message) {
        Util_fputs_escaped(s->processes_skipped_text, out);
        fputc('\n', out);
    }
    if (s->not_sampled_text) {
        fputs("Not sampled: ", out);
        Util_fputs_escaped(s->not_sampled_text, out);
        fputc('\n', out);
    }
    fprintf(out,
            "Sampling: %u Hz asked, %.1f Hz reached, %llu samples, %llu late, %llu errors, "
            "%llu ticks skipped, stopped %.1f us per sample (median), %.1f us (p99), %.1f us "
            "(max)\n",
            s->rate_hz, s->rate_reached_hz, (unsigned long long)s->samples,
            (unsigned long long)s->late, (unsigned long long)s->errors,
            (unsigned long long)s->skipped_ticks, (double)s->stop_median_ns / 1e3,
            (double)s->stop_p99_ns / 1e3, (double)s->stop_max_ns / 1e3);
    const AggQuery *q = &b->options.query;
    fprintf(out, "Window: %u s, %llu thread samples (%llu idle, %s), by %s, sorted by %s%s%s\n\n",
            q->window_s, (unsigned long long)t->window_all, (unsigned long long)t->window_idle,
            q->include_idle ? "included" : "excluded", q->mode == AGG_BY_LINE ? "line" : "function",
            RowText_sort_name(q->sort), q->tid ? ", one thread" : "",
            q->gil_only ? ", GIL holder only" : "");
}

/* The threads sampled in the window, busiest first, as the text report
 * lists them; names with a Python thread's name beside the OS one. */
static void
print_threads(Batch *b, Aggregator *agg)
{
    AggQuery q = b->options.query; /* sleeping threads too: the Active column tells */
    q.include_idle = true;
    const AggThread *threads;
    size_t n = Aggregator_threads(agg, &q, &threads);
    bool head = false;
    for (size_t i = 0, shown = 0; i < n && shown < b->options.rows; i++) {
        const AggThread *t = &threads[i];
        if (!t->window_samples)
            continue;
        if (!head && b->processes)
            fprintf(b->out, "\n%8s %8s %8s %7s  %s\n", "PID", "TID", "Samples", "Active", "Thread");
        else if (!head)
            fprintf(b->out, "\n%8s %8s %7s  %s\n", "TID", "Samples", "Active", "Thread");
        head = true;
        if (b->processes)
            fprintf(b->out, "%8d ", (int)t->pid);
        fprintf(b->out, "%8d %8llu %6.1f%%  ", (int)t->tid, (unsigned long long)t->window_samples,
                RowText_percent(t->window_active, t->window_samples));
        Util_fputs_escaped(Symtab_string(b->symtab, t->name), b->out);
        fputc('\n', b->out);
        shown++;
    }
}

/* With several processes: each, busiest first, with its hottest function
 * and its command line. */
static void
print_processes(Batch *b, Aggregator *agg)
{
    AggQuery q = b->options.query;
    q.include_idle = true;
    const AggProcess *procs;
    size_t n = Aggregator_processes(agg, &q, &procs);
    fprintf(b->out, "\n%8s %7s %8s %7s %6s  %-24s  %s\n", "PID", "Threads", "Samples", "Active",
            "CPU", "Hottest", "Command");
    for (size_t i = 0; i < n; i++) {
        const AggProcess *p = &procs[i];
        if (!p->window_samples)
            continue;
        char cpu[16] = "-";
        if (p->cpu_pct >= 0)
            snprintf(cpu, sizeof(cpu), "%.0f%%", p->cpu_pct);
        fprintf(b->out, "%8d %7zu %8llu %6.1f%% %6s  ", (int)p->pid, p->threads,
                (unsigned long long)p->window_samples,
                RowText_percent(p->window_active, p->window_samples), cpu);
        char *fn = p->hot_function != SYMTAB_EMPTY
                       ? RowText_function(b->symtab, p->hot_function, SYMTAB_EMPTY)
                       : xstrdup("-");
        fprintf(b->out, "%-24.24s  ", fn);
        free(fn);
        Util_fputs_escaped(p->command != SYMTAB_EMPTY ? Symtab_string(b->symtab, p->command) : "?",
                           b->out);
        fputc('\n', b->out);
    }
}

/* The hot list, its columns lined up: the figures, then the function
 * ("??" when unknown: the module column names where it is), its location
 * and its module. */
static void
print_rows(Batch *b, const AggRow *rows, size_t n, const AggTotals *totals)
{
    TextTable *table = TextTable_new(4);
    char figures[64];
    snprintf(figures, sizeof(figures), "%6s %6s %9s %9s", "%Own", "%Total", "OwnTime", "TotalTime");
    TextTable_add(table, (const char *const[]){figures, "Function", "Location", "[Module]"});
    for (size_t i = 0; i < n && i < b->options.rows; i++) {
        const AggRow *r = &rows[i];
        char own[16], total[16];
        RowText_time(r->own_ns, own, sizeof(own));
        RowText_time(r->total_ns, total, sizeof(total));
        snprintf(figures, sizeof(figures), "%6.1f %6.1f %9s %9s",
                 RowText_percent(r->own_window, totals->window_samples),
                 RowText_percent(r->total_window, totals->window_samples), own, total);
        char *fn = RowText_function(b->symtab, r->function, SYMTAB_EMPTY);
        char *loc = RowText_location(b->symtab, r, b->options.query.mode);
        char *module = NULL;
        if (r->module != SYMTAB_EMPTY) {
            const char *name = RowText_module(b->symtab, r->module);
            module = name[0] == '[' ? xstrdup(name) : xasprintf("[%s]", name);
        }
        TextTable_add(table, (const char *const[]){figures, fn, loc, module});
        free(fn);
        free(loc);
        free(module);
    }
    TextTable_print(table, b->out);
    TextTable_delete(table);
}

static ConsumerAction
batch_print(void *self, const RunStatus *status, Aggregator *agg)
{
    Batch *b = self;
    /* The first draw comes right after attaching: nothing to show yet. */
    if (status->elapsed_ns < 100u * 1000 * 1000 && !status->exited)
        return CONSUMER_CONTINUE;
    const AggRow *rows;
    AggTotals totals;
    size_t n = Aggregator_query(agg, &b->options.query, &rows, &totals);
    b->processes |= status->processes_seen > 1 || status->processes_skipped;
    print_header(b, status, &totals);
    print_rows(b, rows, n, &totals);
    if (n == 0)
        fputs("(no samples in the window)\n", b->out);
    if (b->processes)
        print_processes(b, agg);
    print_threads(b, agg);
    fputc('\n', b->out);
    if (fflush(b->out) != 0 || ferror(b->out)) {
        /* The reader went away (| head) or the disk is full: stop
         * sampling now, the caller says why. */
        b->write_error = errno ? errno : EIO;
        return CONSUMER_QUIT;
    }
    b->printed++;
    if (b->options.iterations && b->printed >= b->options.iterations)
        return CONSUMER_QUIT;
    return CONSUMER_CONTINUE;
}

static bool
batch_wants_idle(void *self)
{
    const Batch *b = self;
    return b->options.query.include_idle;
}

Batch *
Batch_new(const BatchOptions *options, Symtab *symtab, FILE *out)
{
    Batch *b = xcalloc(1, sizeof(*b));
    b->options = *options;
    b->symtab = symtab;
    b->out = out;
    b->consumer = (Consumer){
        .self = b,
        .input_fd = -1,
        .period_ns = (uint64_t)(options->delay_s * 1e9),
        .update = batch_print,
        .linger_after_exit = false,
        .wants_idle = batch_wants_idle,
    };
    return b;
}

void
Batch_delete(Batch *batch)
{
    free(batch);
}

int
Batch_write_error(const Batch *batch)
{
    return batch->write_error;
}

Consumer *
Batch_consumer(Batch *batch)
{
    return &batch->consumer;
}
