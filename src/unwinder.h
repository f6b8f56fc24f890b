/* Native call chains from a snapshot, through a libunwind remote address
 * space whose accessors read the copied stack and the cached file images
 * (images.h), never the live target. The only libunwind user. */
#ifndef SPYTOP_SRC_UNWINDER_H
#define SPYTOP_SRC_UNWINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "images.h"
#include "sample.h" /* UnwindEnd */
#include "snapshot.h"

#define UNWIND_MAX_DEPTH 1024

typedef struct UnwoundFrame {
    uint64_t pc;
    bool exact; /* pc is where the thread is (leaf, or interrupted by a
                 * signal), not a return address: look it up as is */
} UnwoundFrame;

typedef struct UnwindResult {
    size_t count; /* frames written, innermost first */
    UnwindEnd end;
    size_t stack_used; /* bytes of the copy the unwind read, from its start */
    bool ran_out;      /* the unwind wanted stack beyond the copy */
} UnwindResult;

typedef struct Unwinder Unwinder;

/* Reusing the outer part of a thread's last walk (SPYTOP_UNWIND_MEMO). */
typedef enum UnwindMemo {
    UNWIND_MEMO_ON,
    UNWIND_MEMO_OFF,   /* every walk in full */
    UNWIND_MEMO_CHECK, /* each reused walk walked again and compared (stderr) */
} UnwindMemo;

/* images is borrowed and must outlive the unwinder. NULL + *cause on error. */
Unwinder *Unwinder_new(Images *images, UnwindMemo memo, char **cause);
void Unwinder_delete(Unwinder *unwinder);

/* Walks snap, writing at most max frames. */
void Unwinder_unwind(Unwinder *unwinder, const Snapshot *snap, UnwoundFrame *frames, size_t max,
                     UnwindResult *result);

const char *Unwinder_end_name(UnwindEnd end);

/* libunwind's version: the headers spytop was compiled against (running
 * false), or the library loaded now (running true: NULL, libunwind has no
 * call that says). A static string. */
const char *Unwinder_library_version(bool running);

#endif
