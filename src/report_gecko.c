/* The Firefox Profiler's "processed" profile format (profiler.firefox.com;
 * what CPython's Tachyon sampler writes as "gecko"), version 57: a JSON
 * object with meta, one thread per sampled thread, and a string array
 * shared by the threads (stringArray). Each thread has its own tables, as
 * columns: samples (stack, time), stackTable (frame, prefix), frameTable
 * (func, line), funcTable (name, file, first line, resource), resources
 * (a module, or a Python source file). The Profiler upgrades version 57
 * files to its current format when it loads them.
 *
 * A sample's time is the start of the time it stands for (Report_spans),
 * in ms after meta.startTime; the Profiler lets a sample last until the
 * next one. Where samples were left out (idle ones, or without a stack),
 * from the selection's start to a thread's first sample, and after its
 * last one, a sample with a null stack marks the time nothing was
 * selected. Lines
 * are kept by function too (frames are per line); funcs are by name and
 * file. */
#include "config.h"

#include "report_gecko.h"

#include <stdlib.h>
#include <string.h>

#include "recbuf.h"
#include "recreader.h"
#include "report_common.h"
#include "rowtext.h"
#include "util.h"

#define GECKO_VERSION 32
#define GECKO_PROCESSED_VERSION 57

/* Categories: meta.categories; the first grey one is the default. */
enum { CATEGORY_OTHER = 0, CATEGORY_PYTHON = 1, CATEGORY_NATIVE = 2 };

/* A JSON array being written, one element at a time. */
typedef struct Column {
    RecBuf buf;
    size_t count;
} Column;

static void
next(Column *c)
{
    if (c->count++)
        RecBuf_put_u8(&c->buf, ',');
}

static void
put_raw(Column *c, const char *s)
{
    next(c);
    RecBuf_put(&c->buf, s, strlen(s));
}

static void
put_uint(Column *c, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
    put_raw(c, s);
}

/* A value, or null when v is none. */
static void
put_uint_or_null(Column *c, uint64_t v, uint64_t none)
{
    if (v == none)
        put_raw(c, "null");
    else
        put_uint(c, v);
}

/* ns as ms with six decimals (exact to the ns). */
static void
put_ms(Column *c, uint64_t ns)
{
    char s[40];
    snprintf(s, sizeof(s), "%llu.%06llu", (unsigned long long)(ns / 1000000),
             (unsigned long long)(ns % 1000000));
    put_raw(c, s);
}

static void
write_column(FILE *out, const char *name, const Column *c, bool first)
{
    fprintf(out, "%s\"%s\":[", first ? "" : ",", name);
    fwrite(c->buf.data, 1, c->buf.len, out);
    fputc(']', out);
}

/* One thread's tables; keys are interned in private symtabs, which number
 * them densely from 0 in order of first use. */
typedef struct GeckoThread {
    Symtab *funcs;     /* (name, file, python) -> func */
    Symtab *resources; /* (name) -> resource */
    Symtab *frames;    /* (func, line) -> frame */
    Symtab *stacks;    /* (frame, prefix + 1) -> stack */
    uint32_t *func_line;
    size_t func_line_cap;
    Column sample_stack, sample_time;
    Column stack_frame, stack_prefix, stack_category;
    Column frame_func, frame_line, frame_category, frame_address;
    Column func_name, func_is_js, func_resource, func_file;
    Column res_name;
} GeckoThread;

static void
column_done(Column *c)
{
    RecBuf_done(&c->buf);
}

static void
gecko_thread_done(GeckoThread *g)
{
    Symtab_delete(g->funcs);
    Symtab_delete(g->resources);
    Symtab_delete(g->frames);
    Symtab_delete(g->stacks);
    free(g->func_line);
    Column *columns[] = {&g->sample_stack,   &g->sample_time, &g->stack_frame, &g->stack_prefix,
                         &g->stack_category, &g->frame_func,  &g->frame_line,  &g->frame_category,
                         &g->frame_address,  &g->func_name,   &g->func_is_js,  &g->func_resource,
                         &g->func_file,      &g->res_name};
    for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
        column_done(columns[i]);
}

/* The func of a frame of the reader's symtab, added when new. */
static uint32_t
func_of(GeckoThread *g, Symtab *strings, const Symtab *symtab, const SymtabFrame *f)
{
    bool python = f->kind == FRAME_PYTHON;
    char *name = RowText_function(symtab, f->function, f->module);
    const char *file = Symtab_string(symtab, f->file);
    SymtabFrame key = {
        .function = Symtab_intern_cstr(strings, name),
        .file = file[0] ? Symtab_intern_cstr(strings, file) : SYMTAB_EMPTY,
        .kind = python ? FRAME_PYTHON : FRAME_NATIVE,
    };
    free(name);
    size_t before = Symtab_frame_count(g->funcs);
    uint32_t func = Symtab_intern_frame(g->funcs, &key);
    if (Symtab_frame_count(g->funcs) > before) {
        /* A resource: the Python source file, or the native module. */
        const char *res = python ? file : Symtab_string(symtab, f->module);
        uint32_t resource = UINT32_MAX;
        if (res[0]) {
            const char *slash = strrchr(res, '/');
            SymtabFrame rkey = {.function = Symtab_intern_cstr(strings, slash ? slash + 1 : res)};
            size_t rbefore = Symtab_frame_count(g->resources);
            resource = Symtab_intern_frame(g->resources, &rkey);
            if (Symtab_frame_count(g->resources) > rbefore)
                put_uint(&g->res_name, rkey.function);
        }
        put_uint(&g->func_name, key.function);
        put_raw(&g->func_is_js, python ? "true" : "false");
        put_uint_or_null(&g->func_resource, resource, UINT32_MAX);
        put_uint_or_null(&g->func_file, key.file, SYMTAB_EMPTY);
        size_t old = g->func_line_cap;
        g->func_line = xgrow(g->func_line, &g->func_line_cap, (size_t)func + 1, sizeof(uint32_t));
        if (g->func_line_cap > old)
            memset(g->func_line + old, 0, (g->func_line_cap - old) * sizeof(uint32_t));
    }
    if (f->line && (!g->func_line[func] || f->line < g->func_line[func]))
        g->func_line[func] = f->line;
    return func;
}

/* The stack of a sample's frames (innermost first), added when new. */
static uint32_t
stack_of(GeckoThread *g, Symtab *strings, const Symtab *symtab, const FrameId *frames, size_t depth)
{
    uint32_t prefix = UINT32_MAX;
    for (size_t d = depth; d-- > 0;) {
        const SymtabFrame *f = Symtab_frame(symtab, frames[d]);
        uint32_t func = func_of(g, strings, symtab, f);
        unsigned category = f->kind == FRAME_PYTHON ? CATEGORY_PYTHON : CATEGORY_NATIVE;
        SymtabFrame fkey = {.function = func, .line = f->line};
        size_t before = Symtab_frame_count(g->frames);
        uint32_t frame = Symtab_intern_frame(g->frames, &fkey);
        if (Symtab_frame_count(g->frames) > before) {
            put_uint(&g->frame_func, func);
            put_uint_or_null(&g->frame_line, f->line, 0);
            put_uint(&g->frame_category, category);
            put_raw(&g->frame_address, "-1");
        }
        SymtabFrame skey = {.function = frame, .file = prefix + 1};
        before = Symtab_frame_count(g->stacks);
        uint32_t stack = Symtab_intern_frame(g->stacks, &skey);
        if (Symtab_frame_count(g->stacks) > before) {
            put_uint(&g->stack_frame, frame);
            put_uint_or_null(&g->stack_prefix, prefix, UINT32_MAX);
            put_uint(&g->stack_category, category);
        }
        prefix = stack;
    }
    return prefix;
}

/* A column of count copies of value. */
static void
write_repeated(FILE *out, const char *name, const char *value, size_t count)
{
    fprintf(out, ",\"%s\":[", name);
    for (size_t i = 0; i < count; i++)
        fprintf(out, "%s%s", i ? "," : "", value);
    fputc(']', out);
}

/* A thread of process pid, whose name is process_name. */
static void
write_thread(FILE *out, const RecReader *reader, const Symtab *symtab, GeckoThread *g, pid_t pid,
             const char *process_name, pid_t tid, uint64_t first_ns)
{
    const RecThread *t = RecReader_thread(reader, tid);
    const char *name = t ? Symtab_string(symtab, t->name) : "";
    fputs("{\"name\":", out);
    if (name[0]) {
        Util_fputs_json_string(name, out);
    } else {
        char label[32];
        snprintf(label, sizeof(label), "tid %d", (int)tid);
        Util_fputs_json_string(label, out);
    }
    fprintf(out, ",\"isMainThread\":%s,\"processStartupTime\":0,\"processShutdownTime\":null,",
            tid == pid ? "true" : "false");
    fprintf(out, "\"registerTime\":%llu.%06llu,\"unregisterTime\":null,\"pausedRanges\":[],",
            (unsigned long long)(first_ns / 1000000), (unsigned long long)(first_ns % 1000000));
    fprintf(out, "\"pid\":\"%d\",\"tid\":%d,\"processType\":\"default\",\"processName\":", (int)pid,
            (int)tid);
    Util_fputs_json_string(process_name, out);

    fputs(",\n\"samples\":{", out);
    write_column(out, "stack", &g->sample_stack, true);
    write_column(out, "time", &g->sample_time, false);
    fprintf(out, ",\"weight\":null,\"weightType\":\"samples\",\"length\":%zu}",
            g->sample_stack.count);

    size_t nstacks = g->stack_frame.count;
    fputs(",\n\"stackTable\":{", out);
    write_column(out, "frame", &g->stack_frame, true);
    write_column(out, "prefix", &g->stack_prefix, false);
    write_column(out, "category", &g->stack_category, false);
    write_repeated(out, "subcategory", "0", nstacks);
    fprintf(out, ",\"length\":%zu}", nstacks);

    size_t nframes = g->frame_func.count;
    fputs(",\n\"frameTable\":{", out);
    write_column(out, "address", &g->frame_address, true);
    write_repeated(out, "inlineDepth", "0", nframes);
    write_column(out, "category", &g->frame_category, false);
    write_repeated(out, "subcategory", "0", nframes);
    write_column(out, "func", &g->frame_func, false);
    write_repeated(out, "nativeSymbol", "null", nframes);
    write_repeated(out, "innerWindowID", "null", nframes);
    write_column(out, "line", &g->frame_line, false);
    write_repeated(out, "column", "null", nframes);
    fprintf(out, ",\"length\":%zu}", nframes);

    size_t nfuncs = g->func_name.count;
    Column lines = {0};
    for (size_t i = 0; i < nfuncs; i++)
        put_uint_or_null(&lines, g->func_line[i], 0);
    fputs(",\n\"funcTable\":{", out);
    write_column(out, "name", &g->func_name, true);
    write_column(out, "isJS", &g->func_is_js, false);
    write_column(out, "relevantForJS", &g->func_is_js, false);
    write_column(out, "resource", &g->func_resource, false);
    write_column(out, "fileName", &g->func_file, false);
    write_column(out, "lineNumber", &lines, false);
    write_repeated(out, "columnNumber", "null", nfuncs);
    fprintf(out, ",\"length\":%zu}", nfuncs);
    column_done(&lines);

    size_t nres = g->res_name.count;
    fputs(",\n\"resourceTable\":{", out);
    write_column(out, "name", &g->res_name, true);
    write_repeated(out, "lib", "null", nres);
    write_repeated(out, "host", "null", nres);
    write_repeated(out, "type", "1", nres); /* a library */
    fprintf(out, ",\"length\":%zu}", nres);

    fputs(",\n\"nativeSymbols\":{\"libIndex\":[],\"address\":[],\"name\":[],\"functionSize\":[],"
          "\"length\":0},\n\"markers\":{\"data\":[],\"name\":[],\"startTime\":[],\"endTime\":[],"
          "\"phase\":[],\"category\":[],\"length\":0}}",
          out);
}

/* The target's main thread first, then by process and tid. */
static int
compare_main_first(const ReportPick *a, const ReportPick *b, pid_t pid)
{
    bool am = a->sample->tid == pid && a->sample->pid == pid;
    bool bm = b->sample->tid == pid && b->sample->pid == pid;
    if (am != bm)
        return am ? -1 : 1;
    return 0;
}

int
Report_gecko(const RecReader *reader, const Symtab *symtab, const ReportOptions *options, FILE *out)
{
    size_t npicks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    Report_sort_by_thread(picks, npicks);
    ReportSpan *spans = xreallocarray(NULL, npicks ? npicks : 1, sizeof(ReportSpan));
    const RecHeader *h = RecReader_header(reader);
    Symtab *strings = Symtab_new();

    fputs("{\"meta\":{", out);
    uint64_t tick = 0;
    {
        /* The mean interval between a thread's samples, as the header
         * asked when there are too few. */
        size_t n;
        const RecThread *threads = RecReader_threads(reader, &n);
        for (size_t i = 0; i < n; i++)
            if (threads[i].samples > 1 && threads[i].last_ns > threads[i].first_ns) {
                uint64_t mean =
                    (threads[i].last_ns - threads[i].first_ns) / (threads[i].samples - 1);
                if (!tick || mean < tick)
                    tick = mean;
            }
        if (!tick)
            tick = Report_interval_ns(reader);
    }
    fprintf(out, "\"interval\":%llu.%06llu,", (unsigned long long)(tick / 1000000),
            (unsigned long long)(tick % 1000000));
    fprintf(out, "\"startTime\":%llu.%06llu,", (unsigned long long)(h->start_unix_ns / 1000000),
            (unsigned long long)(h->start_unix_ns % 1000000));
    fputs("\"abi\":\"x86_64-linux\",\"misc\":\"\",\"oscpu\":\"Linux x86_64\",\"platform\":\"X11\","
          "\"processType\":0,\"stackwalk\":1,\"toolkit\":\"gtk\",\"appBuildID\":\"\","
          "\"physicalCPUs\":0,\"logicalCPUs\":0,\"CPUName\":\"\",\"symbolicated\":true,"
          "\"markerSchema\":[],\"extensions\":{\"id\":[],\"name\":[],\"baseURL\":[],\"length\":0},"
          "\"categories\":[{\"name\":\"Other\",\"color\":\"grey\",\"subcategories\":[\"Other\"]},"
          "{\"name\":\"Python\",\"color\":\"yellow\",\"subcategories\":[\"Other\"]},"
          "{\"name\":\"Native\",\"color\":\"blue\",\"subcategories\":[\"Other\"]}],",
          out);
    fprintf(out, "\"version\":%d,\"preprocessedProfileVersion\":%d,", GECKO_VERSION,
            GECKO_PROCESSED_VERSION);
    fputs("\"importedFrom\":\"spytop " PACKAGE_VERSION "\",\"product\":", out);
    char *title = Report_title(reader, symtab, options);
    char *product = xasprintf("spytop: %s", title);
    free(title);
    Util_fputs_json_string(product, out);
    free(product);
    fputs("},\n\"libs\":[],\"pages\":[],\n\"threads\":[", out);

    /* Threads: the main one first (the Profiler selects it), then by tid. */
    size_t order_count = 0;
    size_t *starts = xreallocarray(NULL, npicks ? npicks : 1, sizeof(size_t));
    const char *target_name;
    pid_t target = Report_target(reader, symtab, options, &target_name);
    bool by_process = Report_by_process(reader, options);
    for (size_t k = 0; k < npicks; k++)
        if (k == 0 || !Report_same_thread(picks[k - 1].sample, picks[k].sample))
            starts[order_count++] = k;
    for (size_t a = 1; a < order_count; a++)
        if (compare_main_first(&picks[starts[a]], &picks[starts[0]], target) < 0) {
            size_t s = starts[a];
            memmove(starts + 1, starts, a * sizeof(size_t));
            starts[0] = s;
        }
    for (size_t o = 0; o < order_count; o++) {
        size_t i = starts[o], end = i;
        pid_t tid = picks[i].sample->tid, pid = picks[i].sample->pid;
        while (end < npicks && Report_same_thread(picks[end].sample, picks[i].sample))
            end++;
        Report_spans(reader, picks + i, end - i, spans + i);
        GeckoThread g = {
            .funcs = Symtab_new(),
            .resources = Symtab_new(),
            .frames = Symtab_new(),
            .stacks = Symtab_new(),
        };
        uint64_t begin = options->from_ns < spans[i].start ? options->from_ns : spans[i].start;
        if (spans[i].start > begin) { /* attaching, or before the thread was born */
            put_raw(&g.sample_stack, "null");
            put_ms(&g.sample_time, begin);
        }
        for (size_t k = i; k < end; k++) {
            if (k > i && spans[k].start > spans[k - 1].end) {
                put_raw(&g.sample_stack, "null"); /* left out: no stack */
                put_ms(&g.sample_time, spans[k - 1].end);
            }
            size_t depth;
            const FrameId *frames = Symtab_stack(symtab, picks[k].sample->stack, &depth);
            put_uint(&g.sample_stack, stack_of(&g, strings, symtab, frames, depth));
            put_ms(&g.sample_time, spans[k].start);
        }
        /* The end of the last sample's time (the Profiler would give it
         * one interval). */
        put_raw(&g.sample_stack, "null");
        put_ms(&g.sample_time, spans[end - 1].end);
        if (o)
            fputs(",\n", out);
        if (by_process) {
            const RecProcess *p = RecReader_process(reader, pid);
            const char *command = p ? Symtab_string(symtab, p->command) : "";
            char label[32];
            snprintf(label, sizeof(label), "PID %d", (int)pid);
            write_thread(out, reader, symtab, &g, pid, command[0] ? command : label, tid,
                         spans[i].start);
        } else {
            write_thread(out, reader, symtab, &g, target, target_name, tid, spans[i].start);
        }
        gecko_thread_done(&g);
    }
    fputs("],\n\"shared\":{\"stringArray\":[", out);
    for (size_t i = 0; i < Symtab_string_count(strings); i++) {
        if (i)
            fputc(',', out);
        Util_fputs_json_string(Symtab_string(strings, (StrId)i), out);
    }
    fputs("]}}\n", out);
    free(starts);
    Symtab_delete(strings);
    free(spans);
    free(picks);
    return Report_finish(out);
}
