/* Chrome's Trace Event Format (the JSON that chrome://tracing, Perfetto,
 * the DevTools performance panel and speedscope read; py-spy's
 * "chrometrace"): the JSON object form, {"traceEvents": [...]}. A run of
 * samples in which a thread stayed in the same frame (with the same
 * callers) is one complete event ("ph": "X") spanning the time those
 * samples stand for (Report_spans); process and thread names are metadata
 * events ("ph": "M"). Each event carries its process's real pid, so a
 * recording of several processes shows them apart. Times are microseconds after the recording's
 * start, with three decimals, so nesting is exact. Complete events rather than begin/end pairs:
 * readers need not pair them up across threads. */
#include "config.h"

#include "report_chrome.h"

#include <stdlib.h>
#include <string.h>

#include "recreader.h"
#include "report_common.h"
#include "report_frames.h"
#include "util.h"

/* One complete event: frame `frame` at `depth` (0 outermost) of a thread. */
typedef struct ChromeEvent {
    pid_t pid, tid;
    uint32_t depth, frame;
    uint64_t start, end; /* ns after the recording's start */
} ChromeEvent;

typedef struct ChromeEvents {
    ChromeEvent *events;
    size_t count, cap;
} ChromeEvents;

static void
add_event(ChromeEvents *ev, const Sample *thread, uint32_t depth, uint32_t frame, uint64_t start,
          uint64_t end)
{
    ev->events = xgrow(ev->events, &ev->cap, ev->count + 1, sizeof(ChromeEvent));
    ev->events[ev->count++] = (ChromeEvent){thread->pid, thread->tid, depth, frame, start, end};
}

/* Outermost first, then deeper: a parent before its children. */
static int
compare_events(const void *pa, const void *pb)
{
    const ChromeEvent *a = pa, *b = pb;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return (a->depth > b->depth) - (a->depth < b->depth);
}

/* ns as microseconds with three decimals. */
static void
put_us(uint64_t ns, FILE *out)
{
    fprintf(out, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

/* The open frames of one thread, outermost first, and when each opened. */
typedef struct OpenFrames {
    uint32_t *frames;
    uint64_t *since;
    size_t count, cap;
} OpenFrames;

static void
close_from(OpenFrames *open, size_t keep, const Sample *thread, uint64_t at, ChromeEvents *ev)
{
    while (open->count > keep) {
        open->count--;
        add_event(ev, thread, (uint32_t)open->count, open->frames[open->count],
                  open->since[open->count], at);
    }
}

/* The complete events of one thread's picks, in time order. */
static void
thread_events(const Symtab *symtab, const ReportFrames *rf, const ReportPick *picks,
              const ReportSpan *spans, size_t count, OpenFrames *open, ChromeEvents *ev)
{
    const Sample *tid = picks[0].sample; /* the thread */
    open->count = 0;
    for (size_t k = 0; k < count; k++) {
        if (k > 0 && spans[k].start > spans[k - 1].end)
            close_from(open, 0, tid, spans[k - 1].end, ev); /* a gap: nothing runs */
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, picks[k].sample->stack, &depth);
        /* The frames both stacks start with (outermost first) stay open. */
        size_t same = 0;
        while (same < open->count && same < depth &&
               open->frames[same] == rf->index[frames[depth - 1 - same]])
            same++;
        close_from(open, same, tid, spans[k].start, ev);
        if (open->cap < depth) {
            size_t cap = open->cap;
            open->frames = xgrow(open->frames, &cap, depth, sizeof(uint32_t));
            open->since = xgrow(open->since, &open->cap, depth, sizeof(uint64_t));
        }
        for (size_t d = same; d < depth; d++) {
            open->frames[d] = rf->index[frames[depth - 1 - d]];
            open->since[d] = spans[k].start;
        }
        open->count = depth;
    }
    close_from(open, 0, tid, spans[count - 1].end, ev);
}

/* A process's name, as a metadata event ("PID 12" when its command line
 * is not known); first: the array's first event. */
static void
put_process_name(pid_t pid, const char *command, bool first, FILE *out)
{
    fputs(first ? "\n" : ",\n", out);
    fprintf(out,
            "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
            (int)pid, (int)pid);
    if (command[0]) {
        Util_fputs_json_string(command, out);
    } else {
        char label[32];
        snprintf(label, sizeof(label), "PID %d", (int)pid);
        Util_fputs_json_string(label, out);
    }
    fputs("}}", out);
}

int
Report_chrome(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
              FILE *out)
{
    size_t npicks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    Report_sort_by_thread(picks, npicks);
    ReportFrames rf;
    ReportFrames_init(&rf, symtab, picks, npicks, options);
    ReportSpan *spans = xreallocarray(NULL, npicks ? npicks : 1, sizeof(ReportSpan));
    ChromeEvents ev = {0};
    OpenFrames open = {0};
    for (size_t i = 0; i < npicks;) {
        size_t end = i;
        while (end < npicks && Report_same_thread(picks[end].sample, picks[i].sample))
            end++;
        Report_spans(reader, picks + i, end - i, spans + i);
        thread_events(symtab, &rf, picks + i, spans + i, end - i, &open, &ev);
        i = end;
    }
    if (ev.count > 1)
        qsort(ev.events, ev.count, sizeof(ChromeEvent), compare_events);

    const RecHeader *h = RecReader_header(reader);
    const char *command;
    pid_t target = Report_target(reader, symtab, options, &command);
    fputs("{\"traceEvents\":[", out);
    if (!Report_by_process(reader, options)) {
        put_process_name(target, command, true, out);
    } else {
        /* Sorted by process: one name each. */
        for (size_t k = 0; k < npicks; k++) {
            pid_t pid = picks[k].sample->pid;
            if (k > 0 && picks[k - 1].sample->pid == pid)
                continue;
            const RecProcess *p = RecReader_process(reader, pid);
            put_process_name(pid, p ? Symtab_string(symtab, p->command) : "", k == 0, out);
        }
    }
    for (size_t k = 0; k < npicks; k++) {
        pid_t tid = picks[k].sample->tid;
        if (k > 0 && Report_same_thread(picks[k - 1].sample, picks[k].sample))
            continue; /* sorted by thread: one name each */
        fprintf(
            out,
            ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
            (int)picks[k].sample->pid, (int)tid);
        char *label = Report_thread_label(reader, symtab, tid);
        Util_fputs_json_string(label, out);
        free(label);
        fputs("}}", out);
    }
    for (size_t i = 0; i < ev.count; i++) {
        const ChromeEvent *e = &ev.events[i];
        fputs(",\n{\"name\":", out);
        Util_fputs_json_string(ReportFrames_name(&rf, e->frame), out);
        fprintf(out, ",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":",
                ReportFrames_is_python(&rf, e->frame) ? "python" : "native");
        put_us(e->start, out);
        fputs(",\"dur\":", out);
        put_us(e->end - e->start, out);
        fprintf(out, ",\"pid\":%d,\"tid\":%d", (int)e->pid, (int)e->tid);
        const char *file = ReportFrames_file(&rf, e->frame);
        if (file[0]) {
            fputs(",\"args\":{\"file\":", out);
            Util_fputs_json_string(file, out);
            if (ReportFrames_line(&rf, e->frame))
                fprintf(out, ",\"line\":%u", ReportFrames_line(&rf, e->frame));
            fputc('}', out);
        }
        fputc('}', out);
    }
    fputs("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{\"exporter\":\"spytop " PACKAGE_VERSION
          "\",\"command\":",
          out);
    Util_fputs_json_string(command, out);
    fprintf(out, ",\"pid\":%d,\"rate_hz\":%u}}\n", (int)target, h->rate_hz);
    free(open.frames);
    free(open.since);
    free(ev.events);
    free(spans);
    ReportFrames_done(&rf);
    free(picks);
    return Report_finish(out);
}
