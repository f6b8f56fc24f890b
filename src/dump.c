#include "config.h"

#include "dump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump_tasks.h"
#include "exit_codes.h"
#include "proc.h"
#include "processset.h"
#include "session.h"
#include "util.h"

/* Threads in a vfork or in D state may take long to stop: wait longer than
 * the live sampler does, then report them as not stopped. */
#define DUMP_DEADLINE_NS (250u * 1000 * 1000)
#define DUMP_DETACH_TIMEOUT_NS (2000u * 1000 * 1000)

typedef struct DumpFrame {
    uint64_t pc;
    FrameId frame;
    uint64_t offset; /* only on the physical (non-inlined) frame */
    bool offset_in_module;
} DumpFrame;

typedef struct DumpThread {
    pid_t tid;
    char name[64];
    char *python_name; /* its name in Python's threading module, or NULL */
    char state;
    long syscall;
    char wchan[64];
    bool sampled;
    char *not_sampled; /* why it could not be attached, or NULL */
    Sample sample;
    DumpFrame *frames;
    size_t frame_count;
} DumpThread;

typedef struct Dump {
    bool locals;
    DumpTasks *tasks; /* --tasks */
    Session *session;
    Symtab *symtab;
    DumpThread *threads;
    size_t count;
} Dump;

static DumpThread *
find_thread(Dump *d, pid_t tid)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->threads[i].tid == tid)
            return &d->threads[i];
    return NULL;
}

static void
add_thread(Dump *d, pid_t tid)
{
    d->threads = xreallocarray(d->threads, d->count + 1, sizeof(*d->threads));
    DumpThread *t = &d->threads[d->count++];
    memset(t, 0, sizeof(*t));
    t->tid = tid;
    t->syscall = -1;
}

/* Names, states and blocking calls are read before the threads stop. */
static void
describe_threads(Dump *d, pid_t pid)
{
    Tracer *tracer = Session_tracer(d->session);
    for (size_t i = 0; i < Tracer_thread_count(tracer); i++) {
        pid_t tid = Tracer_thread(tracer, i)->tid;
        add_thread(d, tid);
        DumpThread *t = &d->threads[d->count - 1];
        Proc_thread_name(pid, tid, t->name, sizeof(t->name));
        ProcStat st;
        t->state = Proc_read_stat(pid, tid, &st) == 0 ? st.state : '?';
        if (t->state != 'R') {
            t->syscall = Proc_blocked_syscall(pid, tid);
            Proc_wchan(pid, tid, t->wchan, sizeof(t->wchan));
        }
    }
    /* Threads that could not be attached are named, with why. */
    const TraceRefusal *refused;
    size_t n = Session_not_sampled(d->session, &refused);
    for (size_t i = 0; i < n; i++) {
        add_thread(d, refused[i].tid);
        DumpThread *t = &d->threads[d->count - 1];
        Proc_thread_name(pid, t->tid, t->name, sizeof(t->name));
        ProcStat st;
        t->state = Proc_read_stat(pid, t->tid, &st) == 0 ? st.state : '?';
        t->not_sampled = Session_refusal_reason(&refused[i]);
    }
}

static void
on_sample(void *arg, const Sample *sample, const SampleTrace *trace)
{
    Dump *d = arg;
    DumpThread *t = find_thread(d, sample->tid);
    if (!t) { /* a thread born between the description and the tick */
        add_thread(d, sample->tid);
        t = &d->threads[d->count - 1];
        Proc_thread_name(Session_pid(d->session), sample->tid, t->name, sizeof(t->name));
        t->state = sample->state;
    }
    t->sampled = true;
    t->sample = *sample;
    t->frames = xreallocarray(t->frames, trace->count ? trace->count : 1, sizeof(*t->frames));
    t->frame_count = trace->count;
    for (size_t i = 0; i < trace->count; i++)
        t->frames[i] = (DumpFrame){trace->frames[i].pc, trace->frames[i].frame,
                                   trace->frames[i].offset, trace->frames[i].offset_in_module};
}

/* With the target running again: the Python names of its threads. */
static void
name_python_threads(Dump *d)
{
    for (size_t i = 0; i < d->count; i++) {
        DumpThread *t = &d->threads[i];
        const char *py = Session_python_thread_name(d->session, t->tid);
        if (py)
            t->python_name = xstrdup(py);
    }
}

static const char *
basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *
status_text(const DumpThread *t)
{
    if (!t->sampled)
        return "not sampled";
    switch (t->sample.status) {
    case SAMPLE_OK:
        return "ok";
    case SAMPLE_NO_STACK:
        return "stack unreadable";
    case SAMPLE_LATE:
        return "did not stop in time";
    case SAMPLE_THREAD_GONE:
        return "exited";
    case SAMPLE_FAILED:
        return "registers unreadable";
    case SAMPLE_ASLEEP:
        return "asleep, not stopped"; /* dump stops every thread: not seen */
    }
    return "unknown";
}

static bool
thread_complete(const DumpThread *t)
{
    return t->sampled && t->sample.status == SAMPLE_OK && t->sample.end != UNWIND_TRUNCATED &&
           t->sample.end != UNWIND_NO_INFO;
}

static void
print_text_frame(const Symtab *symtab, const DumpFrame *f, size_t index, FILE *out)
{
    const SymtabFrame *sf = Symtab_frame(symtab, f->frame);
    const char *function = Symtab_string(symtab, sf->function);
    const char *module = Symtab_string(symtab, sf->module);
    if (sf->kind == FRAME_PYTHON)
        fprintf(out, "  #%-3zu %-18s ", index, "(Python)");
    else
        fprintf(out, "  #%-3zu 0x%016" PRIx64 " ", index, f->pc);
    if (sf->kind == FRAME_PYTHON) {
        Util_fputs_escaped(function[0] ? function : "??", out);
    } else if (function[0]) {
        Util_fputs_escaped(function, out);
        if (sf->kind == FRAME_INLINED)
            fputs(" (inlined)", out);
        else if (!f->offset_in_module)
            fprintf(out, "+0x%" PRIx64, f->offset);
    } else if (module[0]) {
        fputs("?? (", out);
        Util_fputs_escaped(basename_of(module), out);
        fprintf(out, "+0x%" PRIx64 ")", f->offset);
    } else {
        fputs("??", out);
    }
    if (sf->file != SYMTAB_EMPTY) {
        fputs(" at ", out);
        Util_fputs_escaped(Symtab_string(symtab, sf->file), out);
        if (sf->line)
            fprintf(out, ":%u", sf->line);
    }
    if (module[0]) {
        fputs(" [", out);
        Util_fputs_escaped(basename_of(module), out);
        fputs("]", out);
    }
    fputc('\n', out);
}

/* The locals of thread t's Python frames, innermost first, when they line
 * up with the Python frames of its stack (*count of them); else NULL. */
static const PyFrameLocals *
thread_locals(const Dump *d, const DumpThread *t, size_t *count)
{
    const char *problem;
    *count = 0;
    if (!d->locals || !t->sampled)
        return NULL;
    size_t n;
    const PyFrameLocals *l = Session_python_locals(d->session, t->tid, &n, &problem);
    size_t python = 0;
    for (size_t k = 0; k < t->frame_count; k++)
        if (Symtab_frame(d->symtab, t->frames[k].frame)->kind == FRAME_PYTHON)
            python++;
    if (!l || n != python)
        return NULL;
    *count = n;
    return l;
}

static bool
has_python_frame(const Dump *d, const DumpThread *t)
{
    for (size_t k = 0; k < t->frame_count; k++)
        if (Symtab_frame(d->symtab, t->frames[k].frame)->kind == FRAME_PYTHON)
            return true;
    return false;
}

/* A value as the text dump shows it. */
static void
print_text_value(const PyLocal *v, FILE *out)
{
    switch (v->kind) {
    case PY_LOCAL_UNBOUND:
        fputs("<unbound>", out);
        return;
    case PY_LOCAL_NONE:
    case PY_LOCAL_BOOL:
    case PY_LOCAL_INT:
    case PY_LOCAL_FLOAT:
        fputs(v->value, out);
        return;
    case PY_LOCAL_BIG_INT:
        fprintf(out, "<int of %" PRIu64 " bits>", v->bits);
        return;
    case PY_LOCAL_STR:
    case PY_LOCAL_BYTES:
        fputs(v->kind == PY_LOCAL_BYTES ? "b'" : "'", out);
        if (v->kind == PY_LOCAL_STR)
            Util_fputs_escaped(v->value, out);
        else
            fputs(v->value, out); /* printable ASCII already */
        fputs(v->cut ? "'... (" : "'", out);
        if (v->cut)
            fprintf(out, "%s of %" PRId64 " %s)", v->kind == PY_LOCAL_STR ? "str" : "bytes",
                    v->length, v->kind == PY_LOCAL_STR ? "characters" : "bytes");
        return;
    case PY_LOCAL_CONTAINER:
        fputc('<', out);
        Util_fputs_escaped(v->type, out);
        fprintf(out, " of %" PRId64 " item%s>", v->length, v->length == 1 ? "" : "s");
        return;
    case PY_LOCAL_OTHER:
        fputc('<', out);
        Util_fputs_escaped(v->type, out);
        fputs(" object>", out);
        return;
    case PY_LOCAL_UNREADABLE:
        break;
    }
    fputs("<unreadable>", out);
}

static void
print_text_locals(const PyFrameLocals *f, FILE *out)
{
    if (f->skipped) {
        fprintf(out, "         (locals not read: deeper than %d frames)\n", PY_LOCALS_MAX_FRAMES);
        return;
    }
    if (f->unreadable) {
        fputs("         (locals unreadable)\n", out);
        return;
    }
    for (size_t i = 0; i < f->count; i++) {
        fputs("         ", out);
        Util_fputs_escaped(f->locals[i].name, out);
        fputs(" = ", out);
        print_text_value(&f->locals[i], out);
        fputc('\n', out);
    }
    if (f->more)
        fprintf(out, "         ... (more than %d locals)\n", PY_LOCALS_MAX);
}

static void
print_text(Dump *d, pid_t pid, FILE *out)
{
    const Symtab *symtab = d->symtab;
    char *cmdline = Proc_cmdline(pid);
    fprintf(out, "Process %d: ", (int)pid);
    Util_fputs_escaped(cmdline && cmdline[0] ? cmdline : "?", out);
    fprintf(out, " (%zu thread%s", d->count, d->count == 1 ? "" : "s");
    const char *python = Session_python_version(d->session);
    if (python)
        fprintf(out, ", %s", python);
    fputs(")\n", out);
    const char *problem = Session_python_problem(d->session);
    if (problem) {
        fputs("Python frames not shown: ", out);
        Util_fputs_escaped(problem, out);
        fputc('\n', out);
    }
    free(cmdline);
    const char *locals_problem = NULL;
    size_t unused;
    if (d->locals && python)
        Session_python_locals(d->session, 0, &unused, &locals_problem);
    if (locals_problem) {
        fputs("Locals not shown: ", out);
        Util_fputs_escaped(locals_problem, out);
        fputc('\n', out);
    }
    const char *async_problem = python ? Session_python_async_problem(d->session) : NULL;
    if (async_problem) {
        fputs("--async not applied: ", out);
        Util_fputs_escaped(async_problem, out);
        fputc('\n', out);
    }
    bool tasks_failed;
    const char *tasks_problem = d->tasks ? DumpTasks_problem(d->tasks, &tasks_failed) : NULL;
    if (tasks_problem) {
        fputs(tasks_failed ? "Tasks not shown: " : "Tasks: ", out);
        Util_fputs_escaped(tasks_problem, out);
        fputc('\n', out);
    }
    for (size_t i = 0; i < d->count; i++) {
        const DumpThread *t = &d->threads[i];
        fprintf(out, "\nThread %d \"", (int)t->tid);
        Util_fputs_escaped(t->name, out);
        fputc('"', out);
        if (t->python_name && strcmp(t->python_name, t->name) != 0) {
            fputs(" [Python \"", out);
            Util_fputs_escaped(t->python_name, out);
            fputs("\"]", out);
        }
        /* Seized in a group-stop, a thread shows as "tracing stop"; to the
         * user it is stopped. */
        bool stopped = t->sampled && t->sample.group_stopped;
        fprintf(out, " %s", stopped ? "stopped" : Proc_state_name(t->state));
        const char *sc = t->syscall >= 0 ? Proc_syscall_name(t->syscall) : NULL;
        if (sc)
            fprintf(out, " in %s", sc);
        if (t->wchan[0]) {
            fputs(" (wchan ", out);
            Util_fputs_escaped(t->wchan, out);
            fputc(')', out);
        }
        if (t->sampled && t->sample.group_stopped)
            fputs(" [stopped by a signal]", out);
        if (t->sampled && t->sample.holds_gil)
            fputs(" [holds the GIL]", out);
        fputc('\n', out);
        size_t locals_count, py_index = 0;
        const PyFrameLocals *locals = thread_locals(d, t, &locals_count);
        for (size_t k = 0; k < t->frame_count; k++) {
            print_text_frame(symtab, &t->frames[k], k, out);
            if (locals && Symtab_frame(symtab, t->frames[k].frame)->kind == FRAME_PYTHON)
                print_text_locals(&locals[py_index++], out);
        }
        if (d->locals && !locals && !locals_problem && has_python_frame(d, t))
            fputs("  (locals not shown: the Python frames did not line up with this stack)\n", out);
        if (t->not_sampled) {
            fputs("  (not sampled: ", out);
            Util_fputs_escaped(t->not_sampled, out);
            fputs(")\n", out);
        } else if (!t->sampled || t->sample.status != SAMPLE_OK)
            fprintf(out, "  (%s)\n", status_text(t));
        else if (t->sample.end != UNWIND_COMPLETE)
            fprintf(out, "  ... (%s)\n", Unwinder_end_name(t->sample.end));
        if (d->tasks)
            DumpTasks_print_text(d->tasks, symtab, t->tid, out);
    }
    if (d->tasks)
        DumpTasks_print_text(d->tasks, symtab, 0, out);
}

static void
json_string_or_null(const char *s, FILE *out)
{
    if (s && s[0])
        Util_fputs_json_string(s, out);
    else
        fputs("null", out);
}

static void
print_json_locals(const PyFrameLocals *f, FILE *out)
{
    if (f->unreadable || f->skipped) {
        fprintf(out, ",\"locals\":null,\"locals_skipped\":%s", f->skipped ? "true" : "false");
        return;
    }
    static const char *const kinds[] = {
        [PY_LOCAL_UNBOUND] = "unbound",
        [PY_LOCAL_NONE] = "none",
        [PY_LOCAL_BOOL] = "bool",
        [PY_LOCAL_INT] = "int",
        [PY_LOCAL_BIG_INT] = "big_int",
        [PY_LOCAL_FLOAT] = "float",
        [PY_LOCAL_STR] = "str",
        [PY_LOCAL_BYTES] = "bytes",
        [PY_LOCAL_CONTAINER] = "container",
        [PY_LOCAL_OTHER] = "other",
        [PY_LOCAL_UNREADABLE] = "unreadable",
    };
    fputs(",\"locals\":[", out);
    for (size_t i = 0; i < f->count; i++) {
        const PyLocal *v = &f->locals[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", out);
        Util_fputs_json_string(v->name, out);
        fprintf(out, ",\"kind\":\"%s\",\"type\":", kinds[v->kind]);
        json_string_or_null(v->type, out);
        fputs(",\"value\":", out);
        if (v->value)
            Util_fputs_json_string(v->value, out);
        else
            fputs("null", out);
        if (v->length >= 0)
            fprintf(out, ",\"length\":%" PRId64, v->length);
        else
            fputs(",\"length\":null", out);
        if (v->kind == PY_LOCAL_BIG_INT)
            fprintf(out, ",\"bits\":%" PRIu64, v->bits);
        fprintf(out, ",\"cut\":%s}", v->cut ? "true" : "false");
    }
    fprintf(out, "],\"more_locals\":%s", f->more ? "true" : "false");
}

static void
print_json(Dump *d, pid_t pid, FILE *out)
{
    const Symtab *symtab = d->symtab;
    char *cmdline = Proc_cmdline(pid);
    char *exe = Proc_exe(pid);
    fprintf(out, "{\"pid\":%d,\"command\":", (int)pid);
    json_string_or_null(cmdline, out);
    fputs(",\"exe\":", out);
    json_string_or_null(exe, out);
    free(cmdline);
    free(exe);
    fputs(",\"python\":", out);
    json_string_or_null(Session_python_version(d->session), out);
    if (d->locals) {
        const char *locals_problem = NULL;
        size_t unused;
        if (Session_python_version(d->session))
            Session_python_locals(d->session, 0, &unused, &locals_problem);
        fputs(",\"locals_problem\":", out);
        json_string_or_null(locals_problem, out);
    }
    if (d->tasks) {
        bool failed;
        const char *tasks_problem = DumpTasks_problem(d->tasks, &failed);
        fputs(",\"tasks_problem\":", out);
        json_string_or_null(tasks_problem, out);
        DumpTasks_print_json(d->tasks, symtab, 0, out);
    }
    fputs(",\"threads\":[", out);
    for (size_t i = 0; i < d->count; i++) {
        const DumpThread *t = &d->threads[i];
        fprintf(out, "%s\n{\"tid\":%d,\"name\":", i ? "," : "", (int)t->tid);
        Util_fputs_json_string(t->name, out);
        fputs(",\"python_name\":", out);
        json_string_or_null(t->python_name, out);
        bool stopped = t->sampled && t->sample.group_stopped;
        fprintf(out,
                ",\"state\":\"%s\",\"syscall\":", stopped ? "stopped" : Proc_state_name(t->state));
        json_string_or_null(t->syscall >= 0 ? Proc_syscall_name(t->syscall) : NULL, out);
        fputs(",\"wchan\":", out);
        json_string_or_null(t->wchan, out);
        fputs(",\"not_sampled_because\":", out);
        json_string_or_null(t->not_sampled, out);
        fprintf(out,
                ",\"stopped_by_signal\":%s,\"holds_gil\":%s,\"status\":\"%s\",\"unwind\":\"%s\","
                "\"stopped_us\":%" PRIu64 ",\"frames\":[",
                t->sampled && t->sample.group_stopped ? "true" : "false",
                t->sampled && t->sample.holds_gil ? "true" : "false", status_text(t),
                t->sampled ? Unwinder_end_name(t->sample.end) : "none",
                t->sampled ? t->sample.stopped_ns / 1000 : 0);
        size_t locals_count, py_index = 0;
        const PyFrameLocals *locals = thread_locals(d, t, &locals_count);
        for (size_t k = 0; k < t->frame_count; k++) {
            const DumpFrame *f = &t->frames[k];
            const SymtabFrame *sf = Symtab_frame(symtab, f->frame);
            if (sf->kind == FRAME_PYTHON)
                fprintf(out, "%s{\"address\":null,\"function\":", k ? "," : "");
            else
                fprintf(out, "%s{\"address\":\"0x%" PRIx64 "\",\"function\":", k ? "," : "", f->pc);
            json_string_or_null(Symtab_string(symtab, sf->function), out);
            if (sf->kind != FRAME_NATIVE)
                fputs(",\"offset\":null", out);
            else
                fprintf(out, ",\"offset\":%" PRIu64, f->offset);
            fprintf(out, ",\"offset_from\":\"%s\",\"file\":",
                    f->offset_in_module ? "module" : "function");
            json_string_or_null(Symtab_string(symtab, sf->file), out);
            if (sf->line)
                fprintf(out, ",\"line\":%u", sf->line);
            else
                fputs(",\"line\":null", out);
            fputs(",\"module\":", out);
            json_string_or_null(Symtab_string(symtab, sf->module), out);
            fprintf(out, ",\"inlined\":%s,\"kind\":\"%s\"",
                    sf->kind == FRAME_INLINED ? "true" : "false",
                    sf->kind == FRAME_PYTHON    ? "python"
                    : sf->kind == FRAME_INLINED ? "inlined"
                                                : "native");
            if (locals && sf->kind == FRAME_PYTHON)
                print_json_locals(&locals[py_index++], out);
            fputc('}', out);
        }
        fputc(']', out);
        if (d->tasks)
            DumpTasks_print_json(d->tasks, symtab, t->tid, out);
        fputc('}', out);
    }
    fputs("\n]}\n", out);
}

/* One process: attached, sampled once, let go, printed (after `before`,
 * a separator printed only when the process is). started: its start time
 * when it was listed (0: any). */
static int
dump_process(const DumpOptions *options, pid_t pid, uint64_t started, const char *before, FILE *out,
             FILE *err)
{
    SessionOptions so = options->session;
    so.expect_start_ticks = started;
    so.deadline_ns = DUMP_DEADLINE_NS;
    so.detach_after_tick = true;
    so.python_locals = options->locals;
    so.python_tasks = options->tasks;
    int error;
    char *cause;
    Dump d = {.locals = options->locals};
    d.symtab = Symtab_new();
    d.session = Session_open(pid, d.symtab, &so, &error, &cause);
    if (!d.session) {
        Symtab_delete(d.symtab);
        fprintf(err, "spytop: ");
        Util_fputs_escaped(cause ? cause : strerror(-error), err);
        fputc('\n', err);
        free(cause);
        return EXIT_FATAL;
    }
    describe_threads(&d, pid);
    SamplerTickStats stats;
    int r = Session_tick(d.session, on_sample, &d, &stats);
    size_t left = Session_detach(d.session, DUMP_DETACH_TIMEOUT_NS);
    name_python_threads(&d);
    if (options->tasks) {
        pid_t *tids = xcalloc(d.count ? d.count : 1, sizeof(*tids));
        for (size_t i = 0; i < d.count; i++)
            tids[i] = d.threads[i].tid;
        d.tasks = DumpTasks_new(d.session, d.symtab, tids, d.count);
        free(tids);
    }
    int status = EXIT_OK;
    if (r < 0 && d.count == 0) {
        fprintf(err, "spytop: PID %d exited before it could be dumped\n", (int)pid);
        status = EXIT_FATAL;
    } else {
        fputs(before, out);
        if (options->json)
            print_json(&d, pid, out);
        else
            print_text(&d, pid, out);
        for (size_t i = 0; i < d.count; i++)
            if (!thread_complete(&d.threads[i]))
                status = EXIT_PARTIAL;
        if (r < 0) {
            fprintf(err, "spytop: PID %d exited while being dumped\n", (int)pid);
            status = EXIT_PARTIAL;
        }
        bool failed;
        const char *problem = d.tasks ? DumpTasks_problem(d.tasks, &failed) : NULL;
        if (problem && failed) {
            /* Asked for and not shown: said where a script sees it. */
            fputs("spytop: ", err);
            if (options->pid_count > 1 || options->subprocesses)
                fprintf(err, "PID %d: ", (int)pid);
            Util_fputs_escaped(problem, err);
            fputc('\n', err);
            status = EXIT_PARTIAL;
        }
    }
    if (fflush(out) != 0 || ferror(out)) {
        int e = errno ? errno : EIO;
        if (e != EPIPE) /* the reader went away (| head): say nothing */
            fprintf(err, "spytop: writing the dump failed: %s\n", strerror(e));
        status = e == EPIPE ? EXIT_PARTIAL : EXIT_FATAL;
    }
    if (left)
        fprintf(err,
                "spytop: %zu thread%s did not stop in time; the kernel detaches %s as "
                "spytop exits\n",
                left, left == 1 ? "" : "s", left == 1 ? "it" : "them");
    DumpTasks_delete(d.tasks);
    Session_delete(d.session);
    Symtab_delete(d.symtab);
    for (size_t i = 0; i < d.count; i++) {
        free(d.threads[i].frames);
        free(d.threads[i].python_name);
        free(d.threads[i].not_sampled);
    }
    free(d.threads);
    return status;
}

/* A process to dump, and its start time when listed (0: a PID given). */
typedef struct DumpTarget {
    pid_t pid;
    uint64_t started;
} DumpTarget;

/* The processes to dump: those given, and with subprocesses every
 * descendant of them (parents before their children), at most
 * PROCESS_SET_MAX; how many. */
static size_t
dump_targets(const DumpOptions *options, DumpTarget **out, FILE *err)
{
    size_t n = 0, cap = options->pid_count + 8;
    DumpTarget *pids = xmalloc(cap * sizeof(*pids));
    for (size_t i = 0; i < options->pid_count; i++)
        pids[n++] = (DumpTarget){options->pids[i], 0};
    size_t over = 0;
    for (size_t i = 0; options->subprocesses && i < n; i++) {
        pid_t *children;
        size_t k;
        if (Proc_list_children(pids[i].pid, &children, &k) < 0)
            continue;
        for (size_t c = 0; c < k; c++) {
            bool known = false;
            for (size_t j = 0; j < n && !known; j++)
                known = pids[j].pid == children[c];
            if (known)
                continue;
            if (n == PROCESS_SET_MAX) {
                over++;
                continue;
            }
            ProcStat st;
            if (Proc_read_stat(children[c], 0, &st) < 0)
                continue; /* gone already */
            pids = xgrow(pids, &cap, n + 1, sizeof(*pids));
            pids[n++] = (DumpTarget){children[c], st.start_ticks};
        }
        free(children);
    }
    if (over)
        fprintf(err, "spytop: %zu more processes not dumped: at most %d are\n", over,
                PROCESS_SET_MAX);
    *out = pids;
    return n;
}

int
Dump_run(const DumpOptions *options, FILE *out, FILE *err)
{
    DumpOptions one = *options;
    pid_t single = options->pid;
    if (!one.pid_count) {
        one.pids = &single;
        one.pid_count = 1;
    }
    if (one.pid_count == 1 && !one.subprocesses)
        return dump_process(&one, one.pids[0], 0, "", out, err);
    /* Several: each in turn, one stopped at a time; a process that cannot
     * be dumped is said on stderr and the others still are. */
    DumpTarget *pids;
    size_t n = dump_targets(&one, &pids, err);
    int status = EXIT_OK;
    size_t dumped = 0;
    if (one.json)
        fputs("{\"processes\":[\n", out);
    for (size_t i = 0; i < n; i++) {
        const char *before = !dumped ? "" : one.json ? ",\n" : "\n";
        int r = dump_process(&one, pids[i].pid, pids[i].started, before, out, err);
        if (r != EXIT_FATAL)
            dumped++;
        if (r != EXIT_OK)
            status = EXIT_PARTIAL;
    }
    if (one.json)
        fputs("]}\n", out);
    free(pids);
    if (!dumped)
        return EXIT_FATAL;
    return status;
}
