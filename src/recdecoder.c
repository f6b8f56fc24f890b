#include "config.h"

#include "recdecoder.h"

#include <stdlib.h>
#include <string.h>

#include "recbuf.h"
#include "recsamples.h"
#include "util.h"

void
RecDecoder_init(RecDecoder *d, Symtab *symtab, const RecHeader *header)
{
    memset(d, 0, sizeof(*d));
    d->symtab = symtab;
    d->version = header->version ? header->version : REC_VERSION;
    d->pid = header->pid;
    d->start_mono_ns = header->start_mono_ns;
    d->time_unit_ns = header->time_unit_ns ? header->time_unit_ns : 1;
}

void
RecDecoder_done(RecDecoder *d)
{
    free(d->samples);
    free(d->names);
    free(d->modules);
    free(d->marks);
    free(d->strings.ids);
    free(d->frames.ids);
    free(d->stacks.ids);
    free(d->frames_tmp);
    memset(d, 0, sizeof(*d));
}

static void
idvec_push(RecIdVec *v, uint32_t id)
{
    v->ids = xgrow(v->ids, &v->cap, v->len + 1, sizeof(uint32_t));
    v->ids[v->len++] = id;
}

static bool
parse_strings(RecDecoder *d, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *s = RecCursor_bytes(c, &len);
        if (c->bad)
            return false;
        idvec_push(&d->strings, Symtab_intern_string(d->symtab, (const char *)s, len));
    }
    return true;
}

static bool
get_id(RecCursor *c, const RecIdVec *table, uint32_t *out)
{
    uint64_t id = RecCursor_varint(c);
    if (c->bad || id >= table->len)
        return false;
    *out = table->ids[id];
    return true;
}

static bool
parse_frames(RecDecoder *d, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 5)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        SymtabFrame f;
        memset(&f, 0, sizeof(f));
        if (!get_id(c, &d->strings, &f.function) || !get_id(c, &d->strings, &f.file) ||
            !get_id(c, &d->strings, &f.module))
            return false;
        uint64_t line = RecCursor_varint(c);
        uint8_t kind = RecCursor_u8(c);
        if (c->bad || line > UINT32_MAX || kind > FRAME_PYTHON)
            return false;
        f.line = (uint32_t)line;
        f.kind = kind;
        idvec_push(&d->frames, Symtab_intern_frame(d->symtab, &f));
    }
    return true;
}

static bool
parse_stacks(RecDecoder *d, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t depth = RecCursor_varint(c);
        if (c->bad || depth > REC_STACK_DEPTH_MAX || depth > RecCursor_left(c))
            return false;
        d->frames_tmp = xgrow(d->frames_tmp, &d->frames_tmp_cap, (size_t)depth, sizeof(FrameId));
        for (uint64_t j = 0; j < depth; j++)
            if (!get_id(c, &d->frames, &d->frames_tmp[j]))
                return false;
        idvec_push(&d->stacks, Symtab_intern_stack(d->symtab, d->frames_tmp, (size_t)depth));
    }
    return true;
}

static bool
parse_threads(RecDecoder *d, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 3)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t tid = RecCursor_varint(c);
        int64_t rel = RecCursor_svarint(c);
        size_t len;
        const uint8_t *name = RecCursor_bytes(c, &len);
        uint64_t t;
        if (c->bad || tid == 0 || tid > INT32_MAX || !Rec_abs_time(d->start_mono_ns, rel, &t))
            return false;
        d->names = xgrow(d->names, &d->names_cap, d->n_names + 1, sizeof(RecName));
        d->names[d->n_names] = (RecName){
            .tid = (pid_t)tid,
            .t_ns = t,
            .name = Symtab_intern_string(d->symtab, (const char *)name, len),
            .order = d->n_names,
        };
        d->n_names++;
    }
    return true;
}

static bool
parse_modules(RecDecoder *d, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 2)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        size_t plen, blen;
        const uint8_t *path = RecCursor_bytes(c, &plen);
        const uint8_t *build = RecCursor_bytes(c, &blen);
        if (c->bad)
            return false;
        d->modules = xgrow(d->modules, &d->modules_cap, d->n_modules + 1, sizeof(RecModule));
        d->modules[d->n_modules++] = (RecModule){
            Symtab_intern_string(d->symtab, (const char *)path, plen),
            Symtab_intern_string(d->symtab, (const char *)build, blen),
        };
    }
    return true;
}

static bool
parse_processes(RecDecoder *d, RecCursor *c)
{
    uint64_t n = RecCursor_varint(c);
    if (c->bad || n > RecCursor_left(c) / 4)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pid = RecCursor_varint(c);
        uint8_t event = RecCursor_u8(c);
        int64_t rel = RecCursor_svarint(c);
        size_t len;
        const uint8_t *command = RecCursor_bytes(c, &len);
        uint64_t t;
        if (c->bad || pid == 0 || pid > INT32_MAX || event > REC_PROCESS_GONE ||
            !Rec_abs_time(d->start_mono_ns, rel, &t))
            return false;
        d->marks = xgrow(d->marks, &d->marks_cap, d->n_marks + 1, sizeof(RecProcessMark));
        d->marks[d->n_marks++] = (RecProcessMark){
            .pid = (pid_t)pid,
            .event = (RecProcessEvent)event,
            .t_ns = t,
            .command = event == REC_PROCESS_FOLLOWED
                           ? Symtab_intern_string(d->symtab, (const char *)command, len)
                           : SYMTAB_EMPTY,
        };
    }
    return true;
}

static bool
parse_end(RecDecoder *d, RecCursor *c, char **why)
{
    uint64_t samples = RecCursor_varint(c);
    RecCursor_svarint(c);
    uint64_t strings = RecCursor_varint(c);
    uint64_t frames = RecCursor_varint(c);
    uint64_t stacks = RecCursor_varint(c);
    if (c->bad)
        return false;
    if (samples != d->n_samples || strings != d->strings.len || frames != d->frames.len ||
        stacks != d->stacks.len) {
        *why = xasprintf("the end record counts %llu samples, the file holds %zu",
                         (unsigned long long)samples, d->n_samples);
        return false;
    }
    d->end_seen = true;
    return true;
}

bool
RecDecoder_knows(const RecDecoder *d, unsigned type)
{
    if (type == REC_CHUNK_PROCESSES)
        return d->version >= 3;
    return type >= REC_CHUNK_STRINGS && type <= REC_CHUNK_END;
}

/* Definitions interned into the symtab stay there when the chunk turns
 * out bad, but every table the samples use is rolled back, so a chunk
 * counts whole or not at all. */
bool
RecDecoder_chunk(RecDecoder *d, unsigned type, const uint8_t *raw, size_t len, char **why)
{
    size_t strings = d->strings.len, frames = d->frames.len, stacks = d->stacks.len;
    size_t samples = d->n_samples, names = d->n_names, modules = d->n_modules;
    size_t marks = d->n_marks;
    if (!RecDecoder_knows(d, type))
        return true;
    RecCursor c = {raw, raw + len, false};
    bool ok = false;
    switch (type) {
    case REC_CHUNK_STRINGS:
        ok = parse_strings(d, &c);
        break;
    case REC_CHUNK_FRAMES:
        ok = parse_frames(d, &c);
        break;
    case REC_CHUNK_STACKS:
        ok = parse_stacks(d, &c);
        break;
    case REC_CHUNK_SAMPLES: {
        RecSamplesOut out = {
            .start_mono_ns = d->start_mono_ns,
            .time_unit_ns = d->time_unit_ns,
            .with_pids = d->version >= 3,
            .pid = d->pid,
            .stack_ids = d->stacks.ids,
            .n_stack_ids = d->stacks.len,
            .samples = &d->samples,
            .count = &d->n_samples,
            .cap = &d->samples_cap,
        };
        ok = RecSamples_decode(&c, &out, why);
        break;
    }
    case REC_CHUNK_THREADS:
        ok = parse_threads(d, &c);
        break;
    case REC_CHUNK_MODULES:
        ok = parse_modules(d, &c);
        break;
    case REC_CHUNK_END:
        ok = parse_end(d, &c, why);
        break;
    case REC_CHUNK_PROCESSES:
        ok = parse_processes(d, &c);
        break;
    default:
        return true;
    }
    /* Trailing bytes in a chunk are room for later versions. */
    if (ok && !c.bad)
        return true;
    d->strings.len = strings;
    d->frames.len = frames;
    d->stacks.len = stacks;
    d->n_samples = samples;
    d->n_names = names;
    d->n_modules = modules;
    d->n_marks = marks;
    if (!*why)
        *why = xasprintf("malformed %s chunk", Rec_chunk_name(type));
    return false;
}
