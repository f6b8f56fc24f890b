/* The writer of a .spytop recording (recformat.h): it appends, and can be
 * stopped at any chunk boundary (SIGKILL included), the file then ending
 * at its last whole chunk. It holds symtab ids, never pointers into the
 * symtab. */
#ifndef SPYTOP_SRC_RECWRITER_H
#define SPYTOP_SRC_RECWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "recformat.h"
#include "sample.h"
#include "symtab.h"

typedef struct RecWriter RecWriter;

/* Creates path with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600; with
 * force an existing regular file is truncated instead (never a symlink,
 * a FIFO or a device). Writes the header. NULL on failure, with *cause a
 * one-line message naming the file. */
RecWriter *RecWriter_open(const char *path, bool force, const RecHeader *header, char **cause);

/* The same on an open descriptor, which the writer then owns (closed by
 * RecWriter_close, also on failure here). name is used in messages. */
RecWriter *RecWriter_open_fd(int fd, const char *name, const RecHeader *header, char **cause);

/* Queues one sample (of its pid's process; pid 0: the header's); the strings, frames and stack it
 * refers to are queued too the first time the file sees them (the writer remembers symtab ids, so
 * pass the same symtab on every call). Buffered: nothing reaches the file before RecWriter_flush,
 * except when a buffer grows large. 0 or -errno (-EINVAL: a tid <= 0, or a stack id the symtab does
 * not have). */
int RecWriter_add_sample(RecWriter *w, const Symtab *symtab, const Sample *sample);

/* Records that thread tid was named name (comm) at t_ns (CLOCK_MONOTONIC). */
int RecWriter_thread_name(RecWriter *w, pid_t tid, const char *name, uint64_t t_ns);

/* Records that process pid is followed from t_ns (CLOCK_MONOTONIC) on,
 * with its command line (may be NULL or ""): before its first sample. */
int RecWriter_process(RecWriter *w, pid_t pid, const char *command, uint64_t t_ns);

/* Records that process pid was let go at t_ns (it exited, or is no longer
 * followed). */
int RecWriter_process_gone(RecWriter *w, pid_t pid, uint64_t t_ns);

/* Records a module the target had mapped; build_id_hex may be NULL. */
int RecWriter_module(RecWriter *w, const char *path, const char *build_id_hex);

/* Writes what is queued as whole chunks (definitions before the samples
 * that use them). Call it at least once a second: a recorder killed with
 * SIGKILL loses only what was queued. 0 or -errno. */
int RecWriter_flush(RecWriter *w);

/* Flushes, writes the END chunk, fsyncs and closes; frees w in every case.
 * 0, or the first error of the writer's life as -errno with *cause. */
int RecWriter_close(RecWriter *w, char **cause);

/* Errors are sticky: after the first one every call returns it, and the
 * file ends at its last whole chunk (a partial one is cut off). The
 * message names the file; borrowed until RecWriter_close, NULL if none. */
const char *RecWriter_error(const RecWriter *w);

/* Bytes in the file (header and whole chunks), and samples queued so far. */
uint64_t RecWriter_bytes(const RecWriter *w);
uint64_t RecWriter_samples(const RecWriter *w);

#endif
