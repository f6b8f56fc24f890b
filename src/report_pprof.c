/* pprof's profile.proto (github.com/google/pprof, proto/profile.proto),
 * encoded by hand: varint fields (wire type 0) and length-delimited ones
 * (wire type 2), then gzip. Ids of functions and locations are interned
 * through private symtabs, which hand out dense ids in order of use.
 *
 * What go tool pprof makes of it, and why it is written so:
 * - The first mapping titles the profile ("File: ..."): it is the
 *   target's executable (the recording's header), whatever was sampled
 *   first.
 * - Addresses: a recording keeps frames (function, file, line, module),
 *   not the pcs they were found at. Every location gets a synthesized
 *   address instead of 0: its mapping's synthetic base plus a hash of its
 *   function's name, so a function has the same address in every export
 *   and different functions (almost always) differ. The mappings' ranges
 *   are as synthetic; they are marked as symbolized, so pprof never looks
 *   these addresses up in a binary (-symbolize=force would get nonsense).
 * - Function.system_name is the symbol as the binary spells it (mangled).
 *   The recording keeps only the demangled name, so it is left empty: that
 *   also tells pprof the name is demangled already. With system_name equal
 *   to name, pprof "simplifies" names that look like C++ (with <>, [] or
 *   ::) by cutting what stands between < and > and between ( and ), which
 *   turns Python's <module> into "" (shown <unknown>) and Rust's
 *   <Vec<u32> as Spin>::spin into ::spin.
 * - Several processes: each sample has a numeric label "pid" and a
 *   string label "process" ("PID 12 command"), besides "tid" and the
 *   thread's name as with one, so -tagfocus=pid=12 or -tagroot=process
 *   keeps them apart.
 * - The sample type: "cpu" when idle samples are left out (each sample
 *   then stands for time its thread was running or runnable), "wall" when
 *   they are kept. */
#include "config.h"

#include "report_pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rowtext.h"
#include "recbuf.h"
#include "recreader.h"
#include "report_common.h"
#include "util.h"

/* Field numbers of perftools.profiles.Profile and its messages. */
enum {
    PROFILE_SAMPLE_TYPE = 1,
    PROFILE_SAMPLE = 2,
    PROFILE_MAPPING = 3,
    PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9,
    PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11,
    PROFILE_PERIOD = 12,
    PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUE_TYPE_TYPE = 1,
    VALUE_TYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1,
    SAMPLE_VALUE = 2,
    SAMPLE_LABEL = 3,
    LABEL_KEY = 1,
    LABEL_STR = 2,
    LABEL_NUM = 3,
    MAPPING_ID = 1,
    MAPPING_MEMORY_START = 2,
    MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILENAME = 5,
    MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7,
    MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9,
    MAPPING_HAS_INLINE_FRAMES = 10,
    LOCATION_ID = 1,
    LOCATION_MAPPING_ID = 2,
    LOCATION_ADDRESS = 3,
    LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1,
    LINE_LINE = 2,
    FUNCTION_ID = 1,
    FUNCTION_NAME = 2,
    FUNCTION_FILENAME = 4,
};

static void
pb_varint(RecBuf *b, unsigned field, uint64_t v)
{
    RecBuf_put_varint(b, (uint64_t)field << 3);
    RecBuf_put_varint(b, v);
}

static void
pb_bytes(RecBuf *b, unsigned field, const void *data, size_t len)
{
    RecBuf_put_varint(b, (uint64_t)field << 3 | 2);
    RecBuf_put_bytes(b, data, len);
}

/* A message built in *msg, appended as field and emptied. */
static void
pb_message(RecBuf *b, unsigned field, RecBuf *msg)
{
    pb_bytes(b, field, msg->data, msg->len);
    msg->len = 0;
}

/* Synthesized addresses (see the top of this file): mapping k spans
 * [k * MAPPING_SPAN, (k + 1) * MAPPING_SPAN); frames in no mapping (Python
 * code, a pc in no module) use the span of mapping 0. A function's offset
 * in its span is a hash of its name, 16-byte aligned, above the first page. */
#define MAPPING_SPAN (1ull << 36)
#define FUNCTION_OFFSET_MASK ((MAPPING_SPAN - 1) & ~0xfull)

typedef struct Pprof {
    const RecReader *reader;
    const Symtab *symtab;
    Symtab *strings;             /* the string table: id 0 is "" as pprof wants */
    Symtab *functions;           /* frames (name, file) -> function id - 1 */
    Symtab *locations;           /* frames are lines, stacks are locations -> id - 1 */
    uint32_t *mapping_of_module; /* symtab string id -> mapping id, 0 none */
    size_t nmodules;
    RecBuf mappings; /* encoded Mapping messages */
    uint32_t nmappings;
    const char *exe; /* the target's executable: mapping 1 ("" if unknown) */
    RecBuf msg, sub;
    FrameId *lines;
    size_t lines_cap;
} Pprof;

/* Every string is escaped as for the terminal (Util_fputs_escaped): pprof
 * prints names as they are (go tool pprof -top), and profile.proto's
 * strings must be UTF-8. The escapes can be undone; the recording and the
 * JSON exports keep the exact bytes. */
static int64_t
str(Pprof *p, const char *s)
{
    char *escaped = Util_escaped(s);
    int64_t id = Symtab_intern_cstr(p->strings, escaped);
    free(escaped);
    return id;
}

/* The build id the recording has for a module's path, or NULL. */
static const char *
build_id_of(const Pprof *p, const char *path)
{
    size_t n;
    const RecModule *modules = RecReader_modules(p->reader, &n);
    for (size_t i = 0; i < n; i++)
        if (modules[i].build_id != SYMTAB_EMPTY &&
            strcmp(Symtab_string(p->symtab, modules[i].path), path) == 0)
            return Symtab_string(p->symtab, modules[i].build_id);
    return NULL;
}

static void
add_mapping(Pprof *p, const char *path)
{
    RecBuf *m = &p->msg;
    m->len = 0;
    uint32_t id = ++p->nmappings;
    pb_varint(m, MAPPING_ID, id);
    pb_varint(m, MAPPING_MEMORY_START, id * MAPPING_SPAN);
    pb_varint(m, MAPPING_MEMORY_LIMIT, (id + 1) * MAPPING_SPAN);
    pb_varint(m, MAPPING_FILENAME, (uint64_t)str(p, path));
    const char *build_id = build_id_of(p, path);
    if (build_id)
        pb_varint(m, MAPPING_BUILD_ID, (uint64_t)str(p, build_id));
    pb_varint(m, MAPPING_HAS_FUNCTIONS, 1);
    pb_varint(m, MAPPING_HAS_FILENAMES, 1);
    pb_varint(m, MAPPING_HAS_LINE_NUMBERS, 1);
    pb_varint(m, MAPPING_HAS_INLINE_FRAMES, 1);
    pb_message(&p->mappings, PROFILE_MAPPING, m);
}

static uint32_t
mapping_id(Pprof *p, StrId module)
{
    if (module == SYMTAB_EMPTY || module >= p->nmodules)
        return 0;
    if (!p->mapping_of_module[module]) {
        const char *path = Symtab_string(p->symtab, module);
        if (p->exe[0] && strcmp(path, p->exe) == 0) {
            p->mapping_of_module[module] = 1; /* added first */
        } else {
            add_mapping(p, path);
            p->mapping_of_module[module] = p->nmappings;
        }
    }
    return p->mapping_of_module[module];
}

/* A function's synthesized address in mapping's span: FNV-1a of its name. */
static uint64_t
function_address(uint32_t mapping, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 0x100000001b3ull;
    uint64_t offset = h & FUNCTION_OFFSET_MASK;
    return mapping * MAPPING_SPAN + (offset < 0x1000 ? offset + 0x1000 : offset);
}

static uint32_t
function_id(Pprof *p, const SymtabFrame *f)
{
    char *name = RowText_function(p->symtab, f->function, f->module);
    SymtabFrame key = {
        .function = (StrId)str(p, name),
        .file = (StrId)str(p, Symtab_string(p->symtab, f->file)),
    };
    free(name);
    return Symtab_intern_frame(p->functions, &key) + 1;
}

/* The location of frames[0..count): the first frames inlined into the
 * last, innermost first as pprof lists a location's lines. */
static uint32_t
location_id(Pprof *p, const FrameId *frames, size_t count)
{
    p->lines = xgrow(p->lines, &p->lines_cap, count, sizeof(FrameId));
    for (size_t i = 0; i < count; i++) {
        const SymtabFrame *f = Symtab_frame(p->symtab, frames[i]);
        SymtabFrame line = {.function = function_id(p, f), .line = f->line};
        if (i + 1 == count) /* the physical frame says where the code is */
            line.module = mapping_id(p, f->module);
        p->lines[i] = Symtab_intern_frame(p->locations, &line);
    }
    return Symtab_intern_stack(p->locations, p->lines, count) + 1;
}

static void
encode_sample(Pprof *p, RecBuf *out, const ReportStackCount *c, const RecReader *reader,
              bool by_process, uint64_t *ids, size_t ids_cap)
{
    size_t depth;
    const FrameId *frames = Symtab_stack(p->symtab, c->stack, &depth);
    size_t nids = 0;
    for (size_t i = 0; i < depth && nids < ids_cap;) {
        size_t j = i;
        while (j + 1 < depth && Symtab_frame(p->symtab, frames[j])->kind == FRAME_INLINED)
            j++;
        ids[nids++] = location_id(p, frames + i, j - i + 1);
        i = j + 1;
    }
    RecBuf *m = &p->msg, *sub = &p->sub;
    m->len = sub->len = 0;
    for (size_t i = 0; i < nids; i++)
        RecBuf_put_varint(sub, ids[i]);
    pb_message(m, SAMPLE_LOCATION_ID, sub);
    RecBuf_put_varint(sub, c->count);
    RecBuf_put_varint(sub, c->weight_ns);
    pb_message(m, SAMPLE_VALUE, sub);
    const RecThread *t = RecReader_thread(reader, c->tid);
    const char *name = t ? Symtab_string(p->symtab, t->name) : "";
    if (name[0]) {
        pb_varint(sub, LABEL_KEY, (uint64_t)str(p, "thread"));
        pb_varint(sub, LABEL_STR, (uint64_t)str(p, name));
        pb_message(m, SAMPLE_LABEL, sub);
    }
    pb_varint(sub, LABEL_KEY, (uint64_t)str(p, "tid"));
    pb_varint(sub, LABEL_NUM, (uint64_t)c->tid);
    pb_message(m, SAMPLE_LABEL, sub);
    if (by_process) {
        pb_varint(sub, LABEL_KEY, (uint64_t)str(p, "pid"));
        pb_varint(sub, LABEL_NUM, (uint64_t)c->pid);
        pb_message(m, SAMPLE_LABEL, sub);
        char *process = Report_process_label(reader, p->symtab, c->pid);
        pb_varint(sub, LABEL_KEY, (uint64_t)str(p, "process"));
        pb_varint(sub, LABEL_STR, (uint64_t)str(p, process));
        pb_message(m, SAMPLE_LABEL, sub);
        free(process);
    }
    pb_message(out, PROFILE_SAMPLE, m);
}

static void
value_type(Pprof *p, RecBuf *out, unsigned field, const char *type, const char *unit)
{
    RecBuf *m = &p->msg;
    m->len = 0;
    pb_varint(m, VALUE_TYPE_TYPE, (uint64_t)str(p, type));
    pb_varint(m, VALUE_TYPE_UNIT, (uint64_t)str(p, unit));
    pb_message(out, field, m);
}

/* gzip of data to out. */
static int
write_gzip(const uint8_t *data, size_t len, FILE *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    uLong bound = deflateBound(&zs, (uLong)len);
    uint8_t *z = xmalloc(bound);
    zs.next_in = (Bytef *)(uintptr_t)data; /* zlib's API is not const */
    zs.avail_in = (uInt)len;
    zs.next_out = z;
    zs.avail_out = (uInt)bound;
    int zr = deflate(&zs, Z_FINISH);
    size_t zlen = bound - zs.avail_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        free(z);
        return -EIO;
    }
    fwrite(z, 1, zlen, out);
    free(z);
    return 0;
}

int
Report_pprof(const RecReader *reader, const Symtab *symtab, const ReportOptions *options, FILE *out)
{
    size_t npicks, ncounts;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    bool by_process = Report_by_process(reader, options);
    ReportStackCount *counts = Report_count_stacks(picks, npicks, true, by_process, &ncounts);
    const RecHeader *h = RecReader_header(reader);
    Pprof p = {
        .reader = reader,
        .symtab = symtab,
        .exe = h->exe ? h->exe : "",
        .strings = Symtab_new(),
        .functions = Symtab_new(),
        .locations = Symtab_new(),
        .nmodules = Symtab_string_count(symtab),
    };
    p.mapping_of_module = xcalloc(p.nmodules ? p.nmodules : 1, sizeof(uint32_t));

    if (p.exe[0])
        add_mapping(&p, p.exe); /* first: pprof titles the profile by it */

    RecBuf profile = {0}, samples = {0};
    const char *time_type = options->include_idle ? "wall" : "cpu";
    value_type(&p, &profile, PROFILE_SAMPLE_TYPE, "samples", "count");
    value_type(&p, &profile, PROFILE_SAMPLE_TYPE, time_type, "nanoseconds");
    size_t ids_cap = 0;
    for (size_t i = 0; i < ncounts; i++) {
        size_t depth;
        Symtab_stack(symtab, counts[i].stack, &depth);
        if (depth > ids_cap)
            ids_cap = depth;
    }
    uint64_t *ids = xcalloc(ids_cap ? ids_cap : 1, sizeof(uint64_t));
    for (size_t i = 0; i < ncounts; i++)
        encode_sample(&p, &samples, &counts[i], reader, by_process, ids, ids_cap);
    free(ids);
    RecBuf_put(&profile, samples.data, samples.len);
    RecBuf_put(&profile, p.mappings.data, p.mappings.len);

    /* Locations: each a stack of line frames in the private symtab. */
    RecBuf *m = &p.msg, *sub = &p.sub;
    for (size_t id = 0; id < Symtab_stack_count(p.locations); id++) {
        size_t nlines;
        const FrameId *lines = Symtab_stack(p.locations, (StackId)id, &nlines);
        m->len = 0;
        pb_varint(m, LOCATION_ID, id + 1);
        const SymtabFrame *physical = Symtab_frame(p.locations, lines[nlines - 1]);
        if (physical->module)
            pb_varint(m, LOCATION_MAPPING_ID, physical->module);
        const SymtabFrame *function = Symtab_frame(p.functions, physical->function - 1);
        pb_varint(m, LOCATION_ADDRESS,
                  function_address(physical->module, Symtab_string(p.strings, function->function)));
        for (size_t k = 0; k < nlines; k++) {
            const SymtabFrame *line = Symtab_frame(p.locations, lines[k]);
            sub->len = 0;
            pb_varint(sub, LINE_FUNCTION_ID, line->function);
            if (line->line)
                pb_varint(sub, LINE_LINE, line->line);
            pb_message(m, LOCATION_LINE, sub);
        }
        pb_message(&profile, PROFILE_LOCATION, m);
    }
    for (size_t id = 0; id < Symtab_frame_count(p.functions); id++) {
        const SymtabFrame *f = Symtab_frame(p.functions, (FrameId)id);
        m->len = 0;
        pb_varint(m, FUNCTION_ID, id + 1);
        pb_varint(m, FUNCTION_NAME, f->function);
        if (f->file)
            pb_varint(m, FUNCTION_FILENAME, f->file);
        pb_message(&profile, PROFILE_FUNCTION, m);
    }

    const RecStatus *st = RecReader_status(reader);
    uint64_t end = options->to_ns < st->duration_ns ? options->to_ns : st->duration_ns;
    uint64_t from = options->from_ns < end ? options->from_ns : end;
    pb_varint(&profile, PROFILE_TIME_NANOS, h->start_unix_ns + from);
    pb_varint(&profile, PROFILE_DURATION_NANOS, end - from);
    value_type(&p, &profile, PROFILE_PERIOD_TYPE, time_type, "nanoseconds");
    pb_varint(&profile, PROFILE_PERIOD, Report_interval_ns(reader));
    const char *command;
    pid_t target = Report_target(reader, symtab, options, &command);
    char *comment;
    if (by_process)
        comment = xasprintf("spytop %s recording of %zu processes, the first PID %d: %s",
                            PACKAGE_VERSION, Report_process_count(reader), (int)target, command);
    else
        comment =
            xasprintf("spytop %s recording of PID %d: %s", PACKAGE_VERSION, (int)target, command);
    pb_varint(&profile, PROFILE_COMMENT, (uint64_t)str(&p, comment));
    free(comment);
    pb_varint(&profile, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)str(&p, time_type));
    /* The string table last: every string is known by now. */
    for (size_t id = 0; id < Symtab_string_count(p.strings); id++) {
        const char *s = Symtab_string(p.strings, (StrId)id);
        pb_bytes(&profile, PROFILE_STRING_TABLE, s, strlen(s));
    }

    int err = write_gzip(profile.data, profile.len, out);
    int fin = Report_finish(out);
    RecBuf_done(&profile);
    RecBuf_done(&samples);
    RecBuf_done(&p.mappings);
    RecBuf_done(&p.msg);
    RecBuf_done(&p.sub);
    free(p.lines);
    free(p.mapping_of_module);
    Symtab_delete(p.strings);
    Symtab_delete(p.functions);
    Symtab_delete(p.locations);
    free(counts);
    free(picks);
    return err ? err : fin;
}
