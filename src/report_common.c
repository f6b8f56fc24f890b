#include "config.h"

#include "report_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator.h"
#include "hashindex.h"
#include "rowtext.h"
#include "util.h"

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

/* Thread tid's (of process pid) last sample time, 0 the first time it is
 * seen. */
static uint64_t *
last_seen(LastSeen *m, pid_t pid, pid_t tid)
{
    uint64_t key = (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
    uint32_t i = HashIndex_intern(&m->index, key, (uint32_t)m->count, NULL, NULL);
    if (i == m->count) {
        m->t = xgrow(m->t, &m->cap, m->count + 1, sizeof(uint64_t));
        m->t[m->count++] = 0;
    }
    return &m->t[i];
}

/* The mean time between ticks the recording reached, from its most
 * sampled thread; the interval asked when no thread has two samples. */
static uint64_t
tick_ns(const RecReader *reader)
{
    size_t n;
    const RecThread *threads = RecReader_threads(reader, &n);
    const RecThread *most = NULL;
    for (size_t i = 0; i < n; i++)
        if (threads[i].last_ns > threads[i].first_ns &&
            (!most || threads[i].samples > most->samples))
            most = &threads[i];
    if (!most || most->samples < 2)
        return Report_interval_ns(reader);
    return (most->last_ns - most->first_ns) / (most->samples - 1);
}

ReportPick *
Report_select(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
              size_t *count)
{
    size_t n;
    const Sample *samples = RecReader_samples(reader, &n);
    uint64_t start = RecReader_header(reader)->start_mono_ns;
    uint64_t interval = Report_interval_ns(reader), tick = tick_ns(reader);
    ReportPick *picks = xreallocarray(NULL, n ? n : 1, sizeof(ReportPick));
    LastSeen last = {0};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const Sample *s = &samples[i];
        if (s->t_ns == 0)
            continue; /* never stopped: no time, no stack */
        uint64_t *seen = last_seen(&last, s->pid, s->tid);
        uint64_t weight = interval, span = tick;
        if (*seen && s->t_ns > *seen) {
            span = s->t_ns - *seen;
            weight = span < 2 * interval ? span : 2 * interval;
        } else if (!*seen && s->t_ns > start && s->t_ns - start < span) {
            span = s->t_ns - start; /* nothing before the recording's start */
        }
        *seen = s->t_ns;
        uint64_t rel = s->t_ns > start ? s->t_ns - start : 0;
        if (rel < options->from_ns || rel >= options->to_ns)
            continue;
        if (options->pid && s->pid != options->pid)
            continue;
        if (options->tid && s->tid != options->tid)
            continue;
        if (!options->include_idle && Aggregator_is_idle(s))
            continue;
        size_t depth;
        Symtab_stack(symtab, s->stack, &depth);
        if (depth == 0)
            continue;
        picks[k++] = (ReportPick){s, weight, span};
    }
    free(last.t);
    HashIndex_done(&last.index);
    *count = k;
    return picks;
}

char *
Report_frame_name(const Symtab *symtab, FrameId frame, bool by_line, bool full_paths)
{
    const SymtabFrame *f = Symtab_frame(symtab, frame);
    if (!f)
        return xstrdup("??");
    char *name = RowText_function(symtab, f->function, f->module);
    const char *file = Symtab_string(symtab, f->file);
    if (!by_line || !file[0])
        return name;
    char *full =
        xasprintf("%s (%s:%u)", name, full_paths ? file : RowText_short_path(file), f->line);
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

size_t
Report_process_count(const RecReader *reader)
{
    size_t n;
    RecReader_processes(reader, &n);
    return n;
}

bool
Report_by_process(const RecReader *reader, const ReportOptions *options)
{
    return !options->pid && Report_process_count(reader) > 1;
}

pid_t
Report_target(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
              const char **command)
{
    const RecHeader *h = RecReader_header(reader);
    pid_t pid = options->pid ? options->pid : h->pid;
    if (pid == h->pid) {
        *command = h->command[0] ? h->command : h->exe;
    } else {
        const RecProcess *p = RecReader_process(reader, pid);
        *command = p ? Symtab_string(symtab, p->command) : "";
    }
    return pid;
}

char *
Report_title(const RecReader *reader, const Symtab *symtab, const ReportOptions *options)
{
    const char *command;
    pid_t pid = Report_target(reader, symtab, options, &command);
    if (!Report_by_process(reader, options))
        return xasprintf("PID %d %s", (int)pid, command);
    size_t others = Report_process_count(reader) - 1;
    return xasprintf("PID %d %s and %zu other process%s", (int)pid, command, others,
                     others == 1 ? "" : "es");
}

char *
Report_process_label(const RecReader *reader, const Symtab *symtab, pid_t pid)
{
    const RecProcess *p = RecReader_process(reader, pid);
    const char *command = p ? Symtab_string(symtab, p->command) : "";
    size_t len = strlen(command);
    if (!len)
        return xasprintf("PID %d", (int)pid);
    if (len <= REPORT_COMMAND_MAX)
        return xasprintf("PID %d %s", (int)pid, command);
    /* Cut before a UTF-8 sequence, not inside one. */
    len = REPORT_COMMAND_MAX;
    while (len > 0 && ((unsigned char)command[len] & 0xc0) == 0x80)
        len--;
    return xasprintf("PID %d %.*s...", (int)pid, (int)len, command);
}

/* A count's identity, for the index's equality check. */
typedef struct CountKey {
    const ReportStackCount *counts;
    StackId stack;
    pid_t pid, tid;
} CountKey;

static bool
count_equal(const void *ctx, uint32_t id)
{
    const CountKey *k = ctx;
    const ReportStackCount *c = &k->counts[id];
    return c->stack == k->stack && c->pid == k->pid && c->tid == k->tid;
}

ReportStackCount *
Report_count_stacks(const ReportPick *picks, size_t npicks, bool per_thread, bool per_process,
                    size_t *count)
{
    ReportStackCount *out = NULL;
    size_t n = 0, cap = 0;
    HashIndex index = {0}; /* (stack, pid, tid) -> index in out */
    for (size_t i = 0; i < npicks; i++) {
        StackId stack = picks[i].sample->stack;
        pid_t tid = per_thread ? picks[i].sample->tid : 0;
        pid_t pid = per_process ? picks[i].sample->pid : 0;
        uint64_t key = ((uint64_t)stack << 32 | (uint32_t)tid) ^ Util_mix64((uint32_t)pid);
        CountKey ck = {out, stack, pid, tid};
        uint32_t x = HashIndex_intern(&index, key, (uint32_t)n, count_equal, &ck);
        if (x == n) {
            out = xgrow(out, &cap, n + 1, sizeof(*out));
            out[n++] = (ReportStackCount){stack, pid, tid, 0, 0};
        }
        out[x].count++;
        out[x].weight_ns += picks[i].weight_ns;
    }
    HashIndex_done(&index);
    *count = n;
    return out ? out : xcalloc(1, sizeof(*out));
}

static int
compare_picks_by_thread(const void *pa, const void *pb)
{
    const ReportPick *a = pa, *b = pb;
    if (a->sample->pid != b->sample->pid)
        return a->sample->pid < b->sample->pid ? -1 : 1;
    if (a->sample->tid != b->sample->tid)
        return a->sample->tid < b->sample->tid ? -1 : 1;
    /* File order within a thread: the samples are one array. */
    return (a->sample > b->sample) - (a->sample < b->sample);
}

void
Report_sort_by_thread(ReportPick *picks, size_t count)
{
    if (count > 1)
        qsort(picks, count, sizeof(ReportPick), compare_picks_by_thread);
}

void
Report_spans(const RecReader *reader, const ReportPick *picks, size_t count, ReportSpan *out)
{
    uint64_t origin = RecReader_header(reader)->start_mono_ns;
    uint64_t at = 0; /* where the span before ends */
    for (size_t k = 0; k < count; k++) {
        uint64_t t = picks[k].sample->t_ns > origin ? picks[k].sample->t_ns - origin : 0;
        uint64_t from = t > picks[k].span_ns ? t - picks[k].span_ns : 0;
        if (k > 0 && from < at)
            from = at; /* (only when times do not increase) */
        out[k].start = from;
        out[k].end = t > from ? t : from + 1;
        at = out[k].end;
    }
}

int
Report_finish(FILE *out)
{
    errno = 0;
    if (fflush(out) != 0 || ferror(out))
        return errno ? -errno : -EIO;
    return 0;
}
