/* `spytop dump --tasks`: the asyncio tasks a session's tick read (per
 * thread, and the interpreter's list of tasks whose thread exited),
 * resolved once the target runs again, as text or JSON. */
#ifndef SPYTOP_SRC_DUMP_TASKS_H
#define SPYTOP_SRC_DUMP_TASKS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "session.h"
#include "symtab.h"

typedef struct DumpTasks DumpTasks;

/* After the tick and the detach (the target running): the tasks of the
 * threads tids, their coroutines' frames interned in symtab. session and
 * symtab are borrowed for the call only. */
DumpTasks *DumpTasks_new(Session *session, Symtab *symtab, const pid_t *tids, size_t count);
void DumpTasks_delete(DumpTasks *tasks);

/* Why no task is shown (borrowed), or NULL; *failed tells an error (tasks
 * cannot be read from this process: exit status 1) from a plain answer
 * (asyncio not imported, no task). */
const char *DumpTasks_problem(const DumpTasks *tasks, bool *failed);

/* Thread tid's tasks (tid 0: of threads that exited), nothing when it has
 * no event loop and no task. Text: lines after its frames. JSON: a
 * member ,"asyncio":{...} or ,"asyncio":null. */
void DumpTasks_print_text(const DumpTasks *tasks, const Symtab *symtab, pid_t tid, FILE *out);
void DumpTasks_print_json(const DumpTasks *tasks, const Symtab *symtab, pid_t tid, FILE *out);

#endif
