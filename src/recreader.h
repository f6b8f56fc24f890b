/* The reader of a .spytop recording (recformat.h). It trusts no byte,
 * recovers everything before the first bad chunk and says how much that
 * was. It holds symtab ids, never pointers into the symtab. */
#ifndef SPYTOP_SRC_RECREADER_H
#define SPYTOP_SRC_RECREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "recformat.h"
#include "sample.h"
#include "symtab.h"

typedef struct RecStatus {
    bool complete;        /* every chunk read, up to a valid END */
    uint64_t bytes_read;  /* up to the end of the last good chunk */
    uint64_t bytes_total; /* the file's size */
    uint64_t duration_ns; /* the last sample's time after the start */
    const char *message;  /* one line: "complete: …" or "truncated at byte N (…): …" */
} RecStatus;

/* One thread: its latest name and what the recording holds of it. */
typedef struct RecThread {
    pid_t tid;
    pid_t pid;  /* its process (of its last sample; the header's if it has none) */
    StrId name; /* in the caller's symtab; SYMTAB_EMPTY if never named */
    uint64_t samples;
    uint64_t first_ns, last_ns; /* CLOCK_MONOTONIC of its first and last timed sample */
} RecThread;

/* One process: what the recording holds of it. A recording of versions 1
 * and 2 holds one, the header's. */
typedef struct RecProcess {
    pid_t pid;
    StrId command;    /* in the caller's symtab; SYMTAB_EMPTY if not known */
    uint64_t samples; /* of its threads */
    size_t threads;   /* that have samples */
    /* CLOCK_MONOTONIC of when it was first seen (followed, or its first
     * timed sample) and last seen (let go, or its last timed sample); 0
     * when the recording has neither. */
    uint64_t first_ns, last_ns;
    /* When it was last let go (it exited, or was followed no more); 0
     * when it was followed to the end. */
    uint64_t gone_ns;
} RecProcess;

typedef struct RecReader RecReader;

/* Reads the whole recording at path, interning its strings, frames and
 * stacks into symtab (borrowed; it must outlive what the reader hands
 * out). A damaged or cut file still opens: the status says how much was
 * recovered. NULL with *cause only when not even the header is valid. */
RecReader *RecReader_open(const char *path, Symtab *symtab, char **cause);

/* The same from memory (data is not kept); name is used in messages. */
RecReader *RecReader_open_buffer(const void *data, size_t size, const char *name, Symtab *symtab,
                                 char **cause);

void RecReader_delete(RecReader *r);

/* Borrowed for the reader's life. */
const RecHeader *RecReader_header(const RecReader *r);
const RecStatus *RecReader_status(const RecReader *r);

/* In file order; t_ns in CLOCK_MONOTONIC (start_mono_ns + offset), or 0
 * as recorded for a thread that never stopped (SAMPLE_LATE); stacks in the
 * caller's symtab; stopped_ns 0 (not recorded). Borrowed. */
const Sample *RecReader_samples(const RecReader *r, size_t *count);

/* Every thread that has samples or a name, sorted by tid. Borrowed. */
const RecThread *RecReader_threads(const RecReader *r, size_t *count);
const RecThread *RecReader_thread(const RecReader *r, pid_t tid);

/* The name thread tid had at t_ns: the last one recorded at or before
 * t_ns, else its first one; SYMTAB_EMPTY if it has none. O(log n). */
StrId RecReader_thread_name_at(const RecReader *r, pid_t tid, uint64_t t_ns);

const RecModule *RecReader_modules(const RecReader *r, size_t *count);

/* Every process that has samples or was followed, and the header's,
 * sorted by pid. Borrowed. */
const RecProcess *RecReader_processes(const RecReader *r, size_t *count);
const RecProcess *RecReader_process(const RecReader *r, pid_t pid);

/* NULL when the recording holds process pid; else a one-line message
 * (new) that says so and names the PIDs it holds (name: the file). */
char *RecReader_no_process(const RecReader *r, const char *name, pid_t pid);

#endif
