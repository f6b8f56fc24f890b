/* The payloads of a .spytop recording's chunks, decoded one after the
 * other into samples, thread names and modules, with their strings,
 * frames and stacks interned into the caller's symtab. It trusts no byte:
 * a malformed chunk counts as nothing (what it interned stays in the
 * symtab, unused). recreader reads the file and hands it the chunks. */
#ifndef SPYTOP_SRC_RECDECODER_H
#define SPYTOP_SRC_RECDECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "recformat.h"
#include "sample.h"
#include "symtab.h"

/* A name thread tid took at t_ns (a THREADS chunk's entry). */
typedef struct RecName {
    pid_t tid;
    uint64_t t_ns;
    StrId name;
    size_t order; /* file order, to keep a sort stable */
} RecName;

/* A process followed or let go at t_ns (a PROCESSES chunk's entry). */
typedef struct RecProcessMark {
    pid_t pid;
    RecProcessEvent event;
    uint64_t t_ns;
    StrId command; /* SYMTAB_EMPTY when let go */
} RecProcessMark;

/* File ids to symtab ids, growing as definitions arrive. */
typedef struct RecIdVec {
    uint32_t *ids;
    size_t len, cap;
} RecIdVec;

/* Embedded; RecDecoder_init, then RecDecoder_done. The caller may take
 * samples, names, modules and marks (setting them NULL) before done. */
typedef struct RecDecoder {
    Symtab *symtab; /* borrowed */
    uint32_t version;
    pid_t pid; /* the header's */
    uint64_t start_mono_ns;
    uint32_t time_unit_ns;
    /* What the chunks so far hold. */
    Sample *samples;
    size_t n_samples, samples_cap;
    RecName *names;
    size_t n_names, names_cap;
    RecModule *modules;
    size_t n_modules, modules_cap;
    RecProcessMark *marks; /* in file order */
    size_t n_marks, marks_cap;
    bool end_seen; /* a valid END chunk, whose counts match */
    RecIdVec strings, frames, stacks;
    FrameId *frames_tmp;
    size_t frames_tmp_cap;
} RecDecoder;

void RecDecoder_init(RecDecoder *d, Symtab *symtab, const RecHeader *header);

/* Whether a chunk of type is one the header's version defines (others
 * are skipped). */
bool RecDecoder_knows(const RecDecoder *d, unsigned type);

/* Decodes one chunk's payload (of a type RecDecoder_knows; others are
 * ignored). False when it is malformed, with *why (allocated) saying how:
 * then the chunk counts as nothing. */
bool RecDecoder_chunk(RecDecoder *d, unsigned type, const uint8_t *raw, size_t len, char **why);

void RecDecoder_done(RecDecoder *d);

#endif
