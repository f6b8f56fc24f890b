/* The SAMPLES chunk of a .spytop recording, both ways: the chunk's threads
 * (a tid and, from version 3, its process's pid), the sample count, then one column per field: time
 * codes, the time bit stream (its length first), tid indexes, entry references, and the entries
 * those references add. An entry is a (state, flags, stack) in its thread's list for this chunk; a
 * reference equal to the list's length adds the next entry of the last column. Columns of like
 * values compress far better than rows, and a thread sampled at a steady rate keeps to a few
 * entries. Stacks are file stack ids here. */
#ifndef SPYTOP_SRC_RECSAMPLES_H
#define SPYTOP_SRC_RECSAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hashindex.h"
#include "recbuf.h"
#include "sample.h"

/* One chunk's samples being encoded. Embedded, zero-initialised;
 * RecSamples_done frees it. */
typedef struct RecSamples {
    RecBuf c_tcode, c_tbits, c_tid, c_ref, c_new; /* the columns */
    uint64_t bit_acc;
    unsigned bit_count;
    uint32_t count;
    int64_t last_units; /* the last timed sample's time, in time units */
    /* The chunk's threads, and per thread the entries it used, numbered in
     * order of first use. */
    struct RecChunkThread *tids;
    size_t n_tids, tids_cap;
    HashIndex tid_index; /* pid << 32 | tid -> index in tids */
    struct RecEntry *entries;
    size_t n_entries, entries_cap;
    HashIndex entry_index; /* entry_hash -> index in entries */
} RecSamples;

/* Adds a sample of thread tid of process pid, at units time units after
 * the start (when timed), with its state letter and flags packed
 * (recformat.h) and the file id of its stack. */
void RecSamples_add(RecSamples *s, bool timed, int64_t units, pid_t pid, pid_t tid,
                    uint32_t state_flags, uint32_t stack);

/* Samples added since the last RecSamples_finish. */
static inline uint32_t
RecSamples_count(const RecSamples *s)
{
    return s->count;
}

/* Appends the chunk's payload (version REC_VERSION's) to raw and starts
 * the next chunk. */
void RecSamples_finish(RecSamples *s, RecBuf *raw);

void RecSamples_done(RecSamples *s);

/* Where decoded samples go, and what they refer to. */
typedef struct RecSamplesOut {
    uint64_t start_mono_ns;    /* the header's */
    uint32_t time_unit_ns;     /* the header's (1 or more) */
    bool with_pids;            /* version 3: each thread of the table has a pid */
    pid_t pid;                 /* before version 3: every sample's (the header's) */
    const uint32_t *stack_ids; /* file stack id -> symtab stack id */
    size_t n_stack_ids;
    Sample **samples; /* grown as needed */
    size_t *count, *cap;
} RecSamplesOut;

/* Decodes one SAMPLES payload, appending its samples to out (with their
 * stacks in the symtab; stopped_ns 0). False when it is malformed (with
 * *why set when there is more to say): then nothing is appended. */
bool RecSamples_decode(RecCursor *c, const RecSamplesOut *out, char **why);

#endif
