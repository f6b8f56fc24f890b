#include "config.h"

#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregator.h"
#include "hashindex.h"
#include "hotlist.h"
#include "recbuf.h"
#include "report_internal.h"
#include "util.h"

/* ---- shared ------------------------------------------------------------- */

void
ReportOptions_init(ReportOptions *options)
{
    memset(options, 0, sizeof(*options));
    options->to_ns = REPORT_TO_END;
    options->thread_roots = true;
    options->rows = 50;
    options->sort = AGG_SORT_OWN_TIME;
}

static const struct {
    const char *name;
    ReportFormat format;
} format_names[] = {
    {"text", REPORT_TEXT},        {"collapsed", REPORT_COLLAPSED},
    {"folded", REPORT_COLLAPSED}, {"speedscope", REPORT_SPEEDSCOPE},
    {"pprof", REPORT_PPROF},      {"svg", REPORT_SVG},
    {"flamegraph", REPORT_SVG},
};

bool
Report_parse_format(const char *name, ReportFormat *format)
{
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
        if (strcmp(name, format_names[i].name) == 0) {
            *format = format_names[i].format;
            return true;
        }
    }
    return false;
}

const char *
Report_format_name(ReportFormat format)
{
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
        if (format_names[i].format == format)
            return format_names[i].name;
    return "?";
}

uint64_t
Report_interval_ns(const RecReader *reader)
{
    unsigned rate = RecReader_header(reader)->rate_hz;
    return rate ? 1000000000ull / rate : 10000000ull;
}

/* The last sample time seen per thread, for weights. */
typedef struct LastSeen {
    uint64_t *t; /* by index in index */
    size_t count, cap;
    HashIndex index; /* tid -> index in t */
} LastSeen;

/* Thread tid's last sample time, 0 the first time it is seen. */
static uint64_t *
last_seen(LastSeen *m, pid_t tid)
{
    uint32_t i = HashIndex_intern(&m->index, (uint32_t)tid, (uint32_t)m->count, NULL, NULL);
    if (i == m->count) {
        m->t = xgrow(m->t, &m->cap, m->count + 1, sizeof(uint64_t));
        m->t[m->count++] = 0;
    }
    return &m->t[i];
}

ReportPick *
Report_select(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
              size_t *count)
{
    size_t n;
    const Sample *samples = RecReader_samples(reader, &n);
    uint64_t start = RecReader_header(reader)->start_mono_ns;
    uint64_t interval = Report_interval_ns(reader);
    ReportPick *picks = xreallocarray(NULL, n ? n : 1, sizeof(ReportPick));
    LastSeen last = {0};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const Sample *s = &samples[i];
        if (s->t_ns == 0)
            continue; /* never stopped: no time, no stack */
        uint64_t *seen = last_seen(&last, s->tid);
        uint64_t weight = interval;
        if (*seen && s->t_ns > *seen) {
            weight = s->t_ns - *seen;
            if (weight > 2 * interval)
                weight = 2 * interval;
        }
        *seen = s->t_ns;
        uint64_t rel = s->t_ns > start ? s->t_ns - start : 0;
        if (rel < options->from_ns || rel >= options->to_ns)
            continue;
        if (options->tid && s->tid != options->tid)
            continue;
        if (!options->include_idle && Aggregator_is_idle(s))
            continue;
        size_t depth;
        Symtab_stack(symtab, s->stack, &depth);
        if (depth == 0)
            continue;
        picks[k++] = (ReportPick){s, weight};
    }
    free(last.t);
    HashIndex_done(&last.index);
    *count = k;
    return picks;
}

const char *
Report_short_path(const char *path)
{
    const char *start = path + strlen(path);
    int slashes = 0;
    while (start > path) {
        if (start[-1] == '/' && ++slashes == 2)
            break;
        start--;
    }
    return start;
}

char *
Report_frame_name(const Symtab *symtab, FrameId frame, bool by_line)
{
    const SymtabFrame *f = Symtab_frame(symtab, frame);
    if (!f)
        return xstrdup("??");
    char *name = Hotlist_function(symtab, f->function, f->module);
    const char *file = Symtab_string(symtab, f->file);
    if (!by_line || !file[0])
        return name;
    char *full = xasprintf("%s (%s:%u)", name, Report_short_path(file), f->line);
    free(name);
    return full;
}

char *
Report_thread_label(const RecReader *reader, const Symtab *symtab, pid_t tid)
{
    const RecThread *t = RecReader_thread(reader, tid);
    const char *name = t ? Symtab_string(symtab, t->name) : "";
    if (!name[0])
        return xasprintf("tid %d", (int)tid);
    return xasprintf("%s (%d)", name, (int)tid);
}

ReportStackCount *
Report_count_stacks(const ReportPick *picks, size_t npicks, bool per_thread, size_t *count)
{
    ReportStackCount *out = NULL;
    size_t n = 0, cap = 0;
    HashIndex index = {0}; /* (stack, tid) -> index in out */
    for (size_t i = 0; i < npicks; i++) {
        StackId stack = picks[i].sample->stack;
        pid_t tid = per_thread ? picks[i].sample->tid : 0;
        uint64_t key = (uint64_t)stack << 32 | (uint32_t)tid;
        uint32_t x = HashIndex_intern(&index, key, (uint32_t)n, NULL, NULL);
        if (x == n) {
            out = xgrow(out, &cap, n + 1, sizeof(*out));
            out[n++] = (ReportStackCount){stack, tid, 0, 0};
        }
        out[x].count++;
        out[x].weight_ns += picks[i].weight_ns;
    }
    HashIndex_done(&index);
    *count = n;
    return out ? out : xcalloc(1, sizeof(*out));
}

int
Report_finish(FILE *out)
{
    errno = 0;
    if (fflush(out) != 0 || ferror(out))
        return errno ? -errno : -EIO;
    return 0;
}

/* ---- text --------------------------------------------------------------- */

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
print_text_header(const RecReader *reader, const ReportOptions *o, size_t selected,
                  uint64_t idle_left_out, FILE *out)
{
    const RecHeader *h = RecReader_header(reader);
    const RecStatus *st = RecReader_status(reader);
    fprintf(out, "spytop %s report: PID %d ", PACKAGE_VERSION, (int)h->pid);
    Util_fputs_escaped(h->command[0] ? h->command : h->exe, out);
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
        fputs("Recording ", out);
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
    if (o->tid)
        fprintf(out, "thread %d, ", (int)o->tid);
    else
        fputs("all threads, ", out);
    fprintf(out, "%zu thread samples", selected);
    if (o->include_idle)
        fputs(" (idle included)", out);
    else
        fprintf(out, " (%llu idle left out)", (unsigned long long)idle_left_out);
    fprintf(out, ", by %s\n\n", o->by_line ? "line" : "function");
}

static void
print_row(const Symtab *symtab, const AggRow *r, const AggTotals *totals, AggMode mode, FILE *out)
{
    char own[16], total[16];
    Hotlist_format_time(r->own_ns, own, sizeof(own));
    Hotlist_format_time(r->total_ns, total, sizeof(total));
    fprintf(out, "%6.1f %6.1f %9s %9s  ", Hotlist_percent(r->own_ns, totals->time_ns),
            Hotlist_percent(r->total_ns, totals->time_ns), own, total);
    char *fn = Hotlist_function(symtab, r->function, r->module);
    char *loc = Hotlist_location(symtab, r, mode);
    Util_fputs_escaped(fn, out);
    if (loc[0]) {
        fputs("  ", out);
        Util_fputs_escaped(loc, out);
    }
    if (r->module != SYMTAB_EMPTY) {
        const char *module = Hotlist_module(symtab, r->module);
        bool bracketed = module[0] == '[';
        fputs(bracketed ? "  " : "  [", out);
        Util_fputs_escaped(module, out);
        if (!bracketed)
            fputc(']', out);
    }
    fputc('\n', out);
    free(fn);
    free(loc);
}

/* Per thread in the time range: samples, how many running, its name. */
static void
print_threads(const RecReader *reader, const Symtab *symtab, const ReportOptions *o, FILE *out)
{
    size_t nthreads, n;
    const RecThread *threads = RecReader_threads(reader, &nthreads);
    const Sample *samples = RecReader_samples(reader, &n);
    uint64_t start = RecReader_header(reader)->start_mono_ns;
    uint64_t *all = xcalloc(nthreads ? nthreads : 1, sizeof(uint64_t));
    uint64_t *active = xcalloc(nthreads ? nthreads : 1, sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) {
        uint64_t rel = samples[i].t_ns > start ? samples[i].t_ns - start : 0;
        if (rel < o->from_ns || rel >= o->to_ns)
            continue;
        const RecThread *t = RecReader_thread(reader, samples[i].tid);
        size_t k = (size_t)(t - threads);
        all[k]++;
        if (!Aggregator_is_idle(&samples[i]))
            active[k]++;
    }
    fprintf(out, "\n%8s %8s %7s  %s\n", "TID", "Samples", "Active", "Thread");
    for (size_t k = 0; k < nthreads; k++) {
        if (!all[k] || (o->tid && threads[k].tid != o->tid))
            continue;
        fprintf(out, "%8d %8llu %6.1f%%  ", (int)threads[k].tid, (unsigned long long)all[k],
                Hotlist_percent(active[k], all[k]));
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
    };
    const AggRow *rows;
    AggTotals totals;
    size_t nrows = Aggregator_query(agg, &q, &rows, &totals);

    print_text_header(reader, options, npicks, (uint64_t)(nall - npicks), out);
    fprintf(out, "%6s %6s %9s %9s  %s\n", "%Own", "%Total", "OwnTime", "TotalTime",
            "Function  Location  [Module]");
    for (size_t i = 0; i < nrows && (!options->rows || i < options->rows); i++)
        print_row(symtab, &rows[i], &totals, mode, out);
    if (nrows == 0)
        fputs("(no samples in the selection)\n", out);
    else if (options->rows && nrows > options->rows)
        fprintf(out, "(%zu more rows)\n", nrows - options->rows);
    print_threads(reader, symtab, options, out);
    Aggregator_delete(agg);
    free(picks);
    return Report_finish(out);
}

/* ---- collapsed ----------------------------------------------------------- */

/* A frame as folded stacks can carry it: no ';' (the separator), and
 * escaped as for the terminal (Util_fputs_escaped): no line breaks, no
 * control characters, C1 or bidi controls, no invalid UTF-8. */
static void
put_folded(RecBuf *line, const char *s)
{
    while (*s) {
        char buf[UTIL_ESCAPE_MAX];
        size_t used, n = Util_escape_char(s, buf, &used);
        if (n == 1 && buf[0] == ';')
            buf[0] = ':';
        RecBuf_put(line, buf, n);
        s += used;
    }
}

static int
compare_lines(const void *pa, const void *pb)
{
    return strcmp(*(char *const *)pa, *(char *const *)pb);
}

int
Report_collapsed(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                 FILE *out)
{
    size_t npicks, nstacks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    ReportStackCount *counts = Report_count_stacks(picks, npicks, options->thread_roots, &nstacks);
    char **lines = xcalloc(nstacks ? nstacks : 1, sizeof(char *));
    RecBuf line = {0};
    for (size_t i = 0; i < nstacks; i++) {
        line.len = 0;
        if (options->thread_roots) {
            char *label = Report_thread_label(reader, symtab, counts[i].tid);
            put_folded(&line, label);
            free(label);
        }
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, counts[i].stack, &depth);
        for (size_t k = depth; k-- > 0;) {
            if (line.len)
                RecBuf_put_u8(&line, ';');
            char *name = Report_frame_name(symtab, frames[k], options->by_line);
            put_folded(&line, name);
            free(name);
        }
        char count[32];
        snprintf(count, sizeof(count), " %llu", (unsigned long long)counts[i].count);
        RecBuf_put(&line, count, strlen(count) + 1);
        lines[i] = xstrdup((const char *)line.data);
    }
    if (nstacks > 1)
        qsort(lines, nstacks, sizeof(char *), compare_lines);
    for (size_t i = 0; i < nstacks; i++) {
        fputs(lines[i], out);
        fputc('\n', out);
        free(lines[i]);
    }
    RecBuf_done(&line);
    free(lines);
    free(counts);
    free(picks);
    return Report_finish(out);
}

/* ---- speedscope ---------------------------------------------------------- */

static int
compare_picks_by_thread(const void *pa, const void *pb)
{
    const ReportPick *a = pa, *b = pb;
    if (a->sample->tid != b->sample->tid)
        return a->sample->tid < b->sample->tid ? -1 : 1;
    /* File order within a thread: the samples are one array. */
    return (a->sample > b->sample) - (a->sample < b->sample);
}

/* Appends v in decimal: printf per number is the bulk of a large export. */
static void
put_decimal(RecBuf *b, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    RecBuf_reserve(b, n);
    while (n)
        b->data[b->len++] = (uint8_t)digits[--n];
}

static void
json_string(const char *s, FILE *out)
{
    fputc('"', out);
    Util_fputs_json(s, out);
    fputc('"', out);
}

int
Report_speedscope(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                  FILE *out)
{
    size_t npicks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    if (npicks > 1)
        qsort(picks, npicks, sizeof(ReportPick), compare_picks_by_thread);

    /* speedscope's frames: one per name (and line, by line), numbered in
     * order of first use through a private symtab. */
    Symtab *names = Symtab_new();
    size_t nframes = Symtab_frame_count(symtab);
    uint32_t *index = xreallocarray(NULL, nframes ? nframes : 1, sizeof(uint32_t));
    for (size_t i = 0; i < nframes; i++)
        index[i] = UINT32_MAX;
    for (size_t i = 0; i < npicks; i++) {
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, picks[i].sample->stack, &depth);
        for (size_t k = 0; k < depth; k++) {
            FrameId f = frames[k];
            if (index[f] != UINT32_MAX)
                continue;
            const SymtabFrame *sf = Symtab_frame(symtab, f);
            char *name = Report_frame_name(symtab, f, options->by_line);
            SymtabFrame key = {
                .function = Symtab_intern_cstr(names, name),
                .file = Symtab_intern_cstr(names, Symtab_string(symtab, sf->file)),
                .line = options->by_line ? sf->line : 0,
            };
            free(name);
            index[f] = Symtab_intern_frame(names, &key);
        }
    }

    const RecHeader *h = RecReader_header(reader);
    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", out);
    fputs("\"exporter\":\"spytop " PACKAGE_VERSION "\",\n\"name\":", out);
    char *title = xasprintf("PID %d %s", (int)h->pid, h->command[0] ? h->command : h->exe);
    json_string(title, out);
    free(title);
    fputs(",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < Symtab_frame_count(names); i++) {
        const SymtabFrame *f = Symtab_frame(names, (FrameId)i);
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        json_string(Symtab_string(names, f->function), out);
        const char *file = Symtab_string(names, f->file);
        if (file[0]) {
            fputs(",\"file\":", out);
            json_string(file, out);
        }
        if (f->line)
            fprintf(out, ",\"line\":%u", f->line);
        fputc('}', out);
    }
    fputs("]},\n\"profiles\":[", out);
    uint64_t start = h->start_mono_ns;
    RecBuf line = {0};
    for (size_t i = 0; i < npicks;) {
        pid_t tid = picks[i].sample->tid;
        size_t end = i;
        uint64_t total = 0;
        while (end < npicks && picks[end].sample->tid == tid)
            total += picks[end++].weight_ns;
        /* The profile ends at its last sample and starts its weights
         * earlier. */
        uint64_t first = picks[i].sample->t_ns > start ? picks[i].sample->t_ns - start : 0;
        uint64_t begin = first > picks[i].weight_ns ? first - picks[i].weight_ns : 0;
        fputs(i ? ",\n{\"type\":\"sampled\",\"name\":" : "\n{\"type\":\"sampled\",\"name\":", out);
        char *label = Report_thread_label(reader, symtab, tid);
        json_string(label, out);
        free(label);
        fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":%llu,\"endValue\":%llu,\n",
                (unsigned long long)begin, (unsigned long long)(begin + total));
        fputs("\"samples\":[", out);
        for (size_t k = i; k < end; k++) {
            size_t depth;
            const FrameId *frames = Symtab_stack(symtab, picks[k].sample->stack, &depth);
            line.len = 0;
            if (k > i)
                RecBuf_put_u8(&line, ',');
            RecBuf_put_u8(&line, '[');
            for (size_t d = depth; d-- > 0;) {
                put_decimal(&line, index[frames[d]]);
                if (d)
                    RecBuf_put_u8(&line, ',');
            }
            RecBuf_put_u8(&line, ']');
            fwrite(line.data, 1, line.len, out);
        }
        fputs("],\n\"weights\":[", out);
        line.len = 0;
        for (size_t k = i; k < end; k++) {
            if (k > i)
                RecBuf_put_u8(&line, ',');
            put_decimal(&line, picks[k].weight_ns);
            if (line.len > 65536) {
                fwrite(line.data, 1, line.len, out);
                line.len = 0;
            }
        }
        fwrite(line.data, 1, line.len, out);
        fputs("]}", out);
        i = end;
    }
    fputs("]}\n", out);
    RecBuf_done(&line);
    free(index);
    Symtab_delete(names);
    free(picks);
    return Report_finish(out);
}

/* ---- all ---------------------------------------------------------------- */

int
Report_write(ReportFormat format, const RecReader *reader, Symtab *symtab,
             const ReportOptions *options, FILE *out)
{
    switch (format) {
    case REPORT_TEXT:
        return Report_text(reader, symtab, options, out);
    case REPORT_COLLAPSED:
        return Report_collapsed(reader, symtab, options, out);
    case REPORT_SPEEDSCOPE:
        return Report_speedscope(reader, symtab, options, out);
    case REPORT_PPROF:
        return Report_pprof(reader, symtab, options, out);
    case REPORT_SVG:
        return Report_svg(reader, symtab, options, out);
    }
    return -EINVAL;
}
