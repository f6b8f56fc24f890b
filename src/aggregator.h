/* Rolling hot-spot counts from the sample stream: per function or per
 * source line, own (the leaf frame) and total (anywhere on the stack, once
 * per stack under recursion), per thread and for all threads. Percentages
 * come from a sliding window of recent samples; times are cumulative since
 * the start or the last reset. Knows nothing of terminals: the live view,
 * --batch and the replay of a recording all read it the same way. Holds
 * symtab ids, never pointers into it. */
#ifndef SPYTOP_SRC_AGGREGATOR_H
#define SPYTOP_SRC_AGGREGATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"
#include "symtab.h"

#define AGG_BUCKET_NS (250u * 1000 * 1000)
#define AGG_WINDOW_MAX_S 60
#define AGG_WINDOW_DEFAULT_S 5

typedef enum AggMode {
    AGG_BY_FUNCTION, /* one row per function (and module) */
    AGG_BY_LINE,     /* one row per source line */
} AggMode;

typedef enum AggSort {
    AGG_SORT_OWN_PCT,
    AGG_SORT_TOTAL_PCT,
    AGG_SORT_OWN_TIME,
    AGG_SORT_TOTAL_TIME,
    AGG_SORT_NAME,
    AGG_SORT_COUNT,
} AggSort;

typedef struct AggQuery {
    AggMode mode;
    AggSort sort;
    pid_t tid;          /* 0: all threads */
    pid_t pid;          /* 0: all processes */
    bool include_idle;  /* count threads that were not running */
    bool gil_only;      /* count only samples of the thread holding the GIL */
    const char *filter; /* substring of function, file or module; NULL for all */
    unsigned window_s;  /* 1 .. AGG_WINDOW_MAX_S */
    bool cumulative;    /* percentages over everything since the start or reset,
                         * not the window (a recording's selected range) */
} AggQuery;

typedef struct AggRow {
    StrId function, file, module;
    uint32_t line;                     /* AGG_BY_LINE, or the first line seen */
    uint64_t key;                      /* identifies the row across queries */
    uint64_t own_window, total_window; /* samples in the window */
    uint64_t own_ns, total_ns;         /* cumulative time */
} AggRow;

typedef struct AggTotals {
    uint64_t window_samples; /* thread samples in the window that passed the filters */
    uint64_t window_all;     /* every thread sample in the window */
    uint64_t window_idle;    /* of which idle */
    uint64_t samples;        /* thread samples since the start or reset */
    uint64_t time_ns;        /* their time */
} AggTotals;

typedef struct AggThread {
    pid_t pid; /* its process, 0 when not known */
    pid_t tid;
    StrId name;
    char state; /* last seen */
    uint64_t window_samples, window_active;
    uint64_t samples;   /* since the start or reset */
    StrId hot_function; /* most own samples in the window (active ones) */
    StrId hot_module;
    uint64_t last_seen_ns;
    double cpu_pct; /* from /proc, set by the caller; -1 when unknown */
    bool gone;
} AggThread;

/* The threads of one process, summed (the process panel). */
typedef struct AggProcess {
    pid_t pid;
    StrId command; /* SYMTAB_EMPTY when not known */
    size_t threads;
    uint64_t window_samples, window_active;
    uint64_t samples;
    StrId hot_function, hot_module; /* most own samples in the window */
    double cpu_pct;                 /* its threads' sum; -1 when unknown */
    bool gone;                      /* every thread of it gone */
} AggProcess;

typedef struct AggLink {
    StrId function, module;
    uint64_t key;     /* the function's row key (AGG_BY_FUNCTION); 0 for the
                       * pseudo-functions "(thread start)" and "(self)" */
    uint64_t samples; /* in the window */
} AggLink;

typedef struct Aggregator Aggregator;

/* symtab is borrowed. */
Aggregator *Aggregator_new(Symtab *symtab);
void Aggregator_delete(Aggregator *agg);

/* Adds one thread sample that stands for weight_ns of that thread's time
 * (the sampling interval). Idle: the thread was not running. */
void Aggregator_add(Aggregator *agg, const Sample *sample, uint64_t weight_ns);

/* Names a thread (from /proc comm). */
void Aggregator_name_thread(Aggregator *agg, pid_t tid, StrId name);
/* Marks gone every thread not among tids (sorted): a listing of the live
 * threads of every process followed. */
void Aggregator_threads_listed(Aggregator *agg, const pid_t *tids, size_t n);
/* Names a process (its command line). */
void Aggregator_name_process(Aggregator *agg, pid_t pid, StrId command);
void Aggregator_set_thread_cpu(Aggregator *agg, pid_t tid, double cpu_pct);

/* Moves the window's end to now_ns (samples older than the window stop
 * counting). Timestamps are those of the samples (CLOCK_MONOTONIC). */
void Aggregator_advance(Aggregator *agg, uint64_t now_ns);

/* Forgets every count (threads are kept). */
void Aggregator_reset(Aggregator *agg);

/* Bounds memory under thread churn (live use only): threads not sampled
 * since before now_ns - AGG_RETIRE_NS leave the thread list, and their
 * cumulative counts move to one row of "exited threads" (tid 0), so the
 * all-thread figures stay whole. So do, beyond the AGG_QUIET_MAX most
 * recently seen, threads gone (Aggregator_threads_listed)
 * and not sampled for quiet_ns: what is kept is bounded by the live
 * threads and those that ended since the last listing, not by how many a
 * churning pool starts in AGG_RETIRE_NS. */
#define AGG_RETIRE_NS (10ull * 1000 * 1000 * 1000)
#define AGG_QUIET_MAX 256
void Aggregator_retire_threads(Aggregator *agg, uint64_t now_ns, uint64_t quiet_ns);

/* Threads the aggregator keeps (the thread panel shows a subset). */
size_t Aggregator_thread_count(const Aggregator *agg);

/* How many counts (a stack in a thread, idle or not) are kept, in the
 * window's buckets and since the start: a measure of memory, bounded by the
 * threads of the last AGG_RETIRE_NS whatever the churn. */
size_t Aggregator_entries(const Aggregator *agg);

/* Rows matching q, sorted; *rows is owned by the aggregator and valid until
 * the next call. Returns the row count. */
size_t Aggregator_query(Aggregator *agg, const AggQuery *q, const AggRow **rows, AggTotals *totals);

/* Threads, sorted by window samples (most first); borrowed until the next
 * call. Idle threads are included when q->include_idle. */
size_t Aggregator_threads(Aggregator *agg, const AggQuery *q, const AggThread **threads);

/* Every process with samples in the window (q's thread and process
 * choices aside), sorted as threads are; the hottest function counts idle
 * samples only when q->include_idle. Borrowed until the next call. */
size_t Aggregator_processes(Aggregator *agg, const AggQuery *q, const AggProcess **processes);

/* Callers and callees of the row with key `key` (a row key of either mode:
 * a line's key stands for that line only), in the window: the functions
 * just outside and just inside it on every stack that holds it. Borrowed
 * until the next call. */
void Aggregator_links(Aggregator *agg, const AggQuery *q, uint64_t key, const AggLink **callers,
                      size_t *ncallers, const AggLink **callees, size_t *ncallees);

/* The key of the function (AGG_BY_FUNCTION) of a row key of either mode:
 * the key itself, or the function a line is in; 0 for a key of no row. */
uint64_t Aggregator_function_key(const Aggregator *agg, uint64_t key);
/* The function key of a frame. */
uint64_t Aggregator_frame_function_key(const Aggregator *agg, FrameId frame);
/* Whether frame is in the row of `key` (a row key of either mode). */
bool Aggregator_key_holds(const Aggregator *agg, uint64_t key, FrameId frame);

/* Calls fn once per stack entry of the query's window (all since the start
 * when q->cumulative) that passes its thread, idle and GIL choices (not
 * its text filter), with the entry's sample count; a stack may come more
 * than once (one entry per thread and state). For views derived from the
 * stacks: per-line counts, call trees. */
typedef void (*AggStackFn)(void *arg, StackId stack, uint64_t count);
void Aggregator_each_stack(const Aggregator *agg, const AggQuery *q, AggStackFn fn, void *arg);

/* True when the sample's thread was not running: sleeping, waiting or
 * stopped by /proc's account, or stopped inside a blocking system call. */
bool Aggregator_is_idle(const Sample *sample);

#endif
