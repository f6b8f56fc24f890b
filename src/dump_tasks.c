#include "config.h"

#include "dump_tasks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* One list as read, with its tasks' frames resolved. */
typedef struct DumpTaskList {
    const PyTaskList *list; /* borrowed from the session */
    FrameId **frames;       /* per task, list->tasks[i].frame_count of them */
} DumpTaskList;

/* A task by id, to name awaiters. */
typedef struct TaskRef {
    uint64_t id;
    const PyTask *task;
} TaskRef;

struct DumpTasks {
    const char *problem; /* borrowed, or own_problem */
    char *own_problem;
    bool failed;
    DumpTaskList *lists;
    size_t count;
    TaskRef *refs;
    size_t ref_count;
};

static int
by_id(const void *a, const void *b)
{
    uint64_t x = ((const TaskRef *)a)->id, y = ((const TaskRef *)b)->id;
    return x < y ? -1 : x > y;
}

static const PyTask *
find_task(const DumpTasks *dt, uint64_t id)
{
    TaskRef key = {id, NULL};
    const TaskRef *r = bsearch(&key, dt->refs, dt->ref_count, sizeof(key), by_id);
    return r ? r->task : NULL;
}

static void
add_list(DumpTasks *dt, Session *session, const PyTaskList *list)
{
    if (!list || (!list->count && !list->loop_running && !list->cut))
        return;
    dt->lists = xreallocarray(dt->lists, dt->count + 1, sizeof(*dt->lists));
    DumpTaskList *l = &dt->lists[dt->count++];
    l->list = list;
    l->frames = xcalloc(list->count ? list->count : 1, sizeof(*l->frames));
    for (size_t i = 0; i < list->count; i++) {
        const PyTask *t = &list->tasks[i];
        l->frames[i] = xcalloc(t->frame_count ? t->frame_count : 1, sizeof(FrameId));
        for (size_t k = 0; k < t->frame_count; k++)
            l->frames[i][k] = Session_python_frame(session, &t->frames[k]);
        dt->refs = xreallocarray(dt->refs, dt->ref_count + 1, sizeof(*dt->refs));
        dt->refs[dt->ref_count++] = (TaskRef){t->id, t};
    }
}

DumpTasks *
DumpTasks_new(Session *session, Symtab *symtab, const pid_t *tids, size_t count)
{
    (void)symtab;
    DumpTasks *dt = xcalloc(1, sizeof(*dt));
    if (!Session_python_version(session)) {
        const char *why = Session_python_problem(session);
        dt->own_problem = why ? xasprintf("asyncio tasks not read: %s", why)
                              : xstrdup("asyncio tasks need CPython 3.14 or newer, and this "
                                        "process runs no CPython");
        dt->problem = dt->own_problem;
        dt->failed = true;
        return dt;
    }
    const char *problem;
    Session_python_tasks(session, 0, &problem);
    if (problem) {
        dt->problem = problem;
        dt->failed = strcmp(problem, PY_TASKS_NOT_IMPORTED) != 0;
        return dt;
    }
    for (size_t i = 0; i < count; i++)
        add_list(dt, session, Session_python_tasks(session, tids[i], &problem));
    add_list(dt, session, Session_python_tasks(session, 0, &problem));
    if (dt->count == 0)
        dt->problem = "none (no thread runs an asyncio event loop or holds a task)";
    qsort(dt->refs, dt->ref_count, sizeof(*dt->refs), by_id);
    return dt;
}

void
DumpTasks_delete(DumpTasks *dt)
{
    if (!dt)
        return;
    for (size_t i = 0; i < dt->count; i++) {
        for (size_t k = 0; k < dt->lists[i].list->count; k++)
            free(dt->lists[i].frames[k]);
        free(dt->lists[i].frames);
    }
    free(dt->lists);
    free(dt->refs);
    free(dt->own_problem);
    free(dt);
}

const char *
DumpTasks_problem(const DumpTasks *dt, bool *failed)
{
    *failed = dt->failed;
    return dt->problem;
}

static const DumpTaskList *
list_of(const DumpTasks *dt, pid_t tid)
{
    for (size_t i = 0; i < dt->count; i++)
        if (dt->lists[i].list->tid == tid)
            return &dt->lists[i];
    return NULL;
}

/* ---- text ---------------------------------------------------------------- */

static void
print_text_name(const PyTask *t, FILE *out)
{
    if (!t->name) {
        fputs("(name unreadable)", out);
        return;
    }
    fputc('"', out);
    Util_fputs_escaped(t->name, out);
    fputc('"', out);
    if (t->name_cut)
        fprintf(out, "... (a name of %" PRId64 " characters)", t->name_length);
}

static void
print_text_task(const DumpTasks *dt, const Symtab *symtab, const PyTask *t, const FrameId *frames,
                FILE *out)
{
    fputs("  Task ", out);
    print_text_name(t, out);
    fprintf(out, " 0x%" PRIx64 "%s\n", t->id, t->running ? " [running]" : "");
    for (size_t k = 0; k < t->frame_count; k++) {
        const SymtabFrame *sf = Symtab_frame(symtab, frames[k]);
        const char *function = Symtab_string(symtab, sf->function);
        fprintf(out, "    #%-3zu %-18s ", k, "(Python)");
        Util_fputs_escaped(function[0] ? function : "??", out);
        if (sf->file != SYMTAB_EMPTY) {
            fputs(" at ", out);
            Util_fputs_escaped(Symtab_string(symtab, sf->file), out);
            if (sf->line)
                fprintf(out, ":%u", sf->line);
        }
        fputc('\n', out);
    }
    if (t->frames_cut)
        fputs("    ... (coroutine chain cut: too deep, looping or unreadable)\n", out);
    for (size_t a = 0; a < t->awaited_by_count; a++) {
        const PyTask *by = find_task(dt, t->awaited_by[a]);
        if (!by)
            continue; /* a stale set entry, or not a task */
        fputs("    awaited by ", out);
        print_text_name(by, out);
        fprintf(out, " 0x%" PRIx64 "\n", by->id);
    }
    if (t->awaited_by_cut)
        fputs("    awaited by ... (more, not read)\n", out);
}

void
DumpTasks_print_text(const DumpTasks *dt, const Symtab *symtab, pid_t tid, FILE *out)
{
    const DumpTaskList *l = list_of(dt, tid);
    if (!l)
        return;
    const PyTaskList *list = l->list;
    if (tid)
        fprintf(out, "  asyncio: %s, %zu task%s%s\n",
                list->loop_running ? "event loop running" : "no event loop running", list->count,
                list->count == 1 ? "" : "s", list->cut ? " (list cut: not all read)" : "");
    else
        fprintf(out, "\nasyncio tasks of threads that exited: %zu%s\n", list->count,
                list->cut ? " (list cut: not all read)" : "");
    for (size_t i = 0; i < list->count; i++)
        print_text_task(dt, symtab, &list->tasks[i], l->frames[i], out);
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_string_or_null(const char *s, FILE *out)
{
    if (s)
        Util_fputs_json_string(s, out);
    else
        fputs("null", out);
}

static void
print_json_task(const DumpTasks *dt, const Symtab *symtab, const PyTask *t, const FrameId *frames,
                FILE *out)
{
    fprintf(out, "{\"id\":\"0x%" PRIx64 "\",\"name\":", t->id);
    json_string_or_null(t->name, out);
    if (t->name_length >= 0)
        fprintf(out, ",\"name_length\":%" PRId64, t->name_length);
    else
        fputs(",\"name_length\":null", out);
    fprintf(out, ",\"name_cut\":%s,\"running\":%s,\"frames\":[", t->name_cut ? "true" : "false",
            t->running ? "true" : "false");
    for (size_t k = 0; k < t->frame_count; k++) {
        const SymtabFrame *sf = Symtab_frame(symtab, frames[k]);
        fputs(k ? ",{\"function\":" : "{\"function\":", out);
        Util_fputs_json_string(Symtab_string(symtab, sf->function), out);
        fputs(",\"file\":", out);
        json_string_or_null(sf->file != SYMTAB_EMPTY ? Symtab_string(symtab, sf->file) : NULL, out);
        if (sf->line)
            fprintf(out, ",\"line\":%u}", sf->line);
        else
            fputs(",\"line\":null}", out);
    }
    fprintf(out, "],\"frames_cut\":%s,\"awaited_by\":[", t->frames_cut ? "true" : "false");
    bool first = true;
    for (size_t a = 0; a < t->awaited_by_count; a++) {
        if (!find_task(dt, t->awaited_by[a]))
            continue;
        fprintf(out, "%s\"0x%" PRIx64 "\"", first ? "" : ",", t->awaited_by[a]);
        first = false;
    }
    fprintf(out, "],\"awaited_by_cut\":%s}", t->awaited_by_cut ? "true" : "false");
}

void
DumpTasks_print_json(const DumpTasks *dt, const Symtab *symtab, pid_t tid, FILE *out)
{
    const DumpTaskList *l = list_of(dt, tid);
    fputs(tid ? ",\"asyncio\":" : ",\"exited_threads_asyncio\":", out);
    if (!l) {
        fputs("null", out);
        return;
    }
    const PyTaskList *list = l->list;
    fprintf(out, "{\"loop_running\":%s,\"cut\":%s,\"tasks\":[",
            list->loop_running ? "true" : "false", list->cut ? "true" : "false");
    for (size_t i = 0; i < list->count; i++) {
        fputs(i ? ",\n" : "\n", out);
        print_json_task(dt, symtab, &list->tasks[i], l->frames[i], out);
    }
    fputs("]}", out);
}
