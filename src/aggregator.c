#include "config.h"

#include "aggregator.h"

#include <stdlib.h>
#include <string.h>

#include "hashindex.h"
#include "util.h"

#define NBUCKETS (AGG_WINDOW_MAX_S * (1000000000u / AGG_BUCKET_NS))

/* A map from a 64-bit key (see entry_key) to a sample count and a time:
 * the entries in insertion order, found through an index. */
typedef struct CountSlot {
    uint64_t key;
    uint64_t count;
    uint64_t time_ns;
} CountSlot;

typedef struct CountMap {
    CountSlot *slots;
    size_t used, cap;
    HashIndex index;
} CountMap;

typedef struct Bucket {
    uint64_t index; /* t_ns / AGG_BUCKET_NS of the samples it holds */
    CountMap map;
} Bucket;

typedef struct RowAcc {
    AggRow row;
    uint64_t stamp; /* last stack that counted it towards total */
} RowAcc;

/* Leaf samples of one function in one thread (Aggregator_threads): the
 * thread's index, the order in which the window first showed it. */
typedef struct LeafCount {
    uint32_t thread, first;
    uint64_t function; /* function_key() */
    uint64_t count;
} LeafCount;

typedef struct Aggregator {
    Symtab *symtab;
    CountMap cumulative;
    Bucket buckets[NBUCKETS];
    uint64_t now_index;
    AggThread *threads;
    size_t thread_count, thread_cap;
    HashIndex thread_index; /* tid -> index in threads */
    StrId exited_name;
    /* Query results. */
    RowAcc *acc;
    size_t acc_count, acc_cap;
    HashIndex index; /* row key -> index in acc */
    AggRow *rows;
    size_t rows_cap;
    uint64_t stamp;
    AggThread *thread_view;
    size_t thread_view_cap;
    LeafCount *leafs; /* Aggregator_threads' working space */
    size_t leafs_cap;
    AggProcess *process_view;
    size_t process_view_cap;
    struct {
        pid_t pid;
        StrId command;
        uint64_t named_ns; /* the window's end when named */
    } * process_names;
    size_t process_name_count, process_name_cap;
    AggLink *links;
    size_t links_cap;
} Aggregator;

static void
countmap_add(CountMap *m, uint64_t key, uint64_t count, uint64_t time_ns)
{
    uint32_t j = HashIndex_intern(&m->index, key, (uint32_t)m->used, NULL, NULL);
    if (j == m->used) {
        m->slots = xgrow(m->slots, &m->cap, m->used + 1, sizeof(*m->slots));
        m->slots[m->used++] = (CountSlot){key, 0, 0};
    }
    m->slots[j].count += count;
    m->slots[j].time_ns += time_ns;
}

static void
countmap_clear(CountMap *m)
{
    /* Keep a small table: a busy bucket's size is not a good guess for the
     * next one. */
    free(m->slots);
    m->slots = NULL;
    m->cap = m->used = 0;
    HashIndex_done(&m->index);
}

/* (stack, tid, idle, gil) packed; bit 63 keeps it nonzero. */
static uint64_t
entry_key(StackId stack, pid_t tid, bool idle, bool gil)
{
    return (1ull << 63) | ((uint64_t)gil << 55) | ((uint64_t)stack << 23) | ((uint64_t)idle << 22) |
           ((uint64_t)tid & 0x3fffff);
}

static bool
entry_gil(uint64_t key)
{
    return (key >> 55) & 1;
}

static StackId
entry_stack(uint64_t key)
{
    return (StackId)((key >> 23) & 0xffffffffu);
}

static pid_t
entry_tid(uint64_t key)
{
    return (pid_t)(key & 0x3fffff);
}

static bool
entry_idle(uint64_t key)
{
    return (key >> 22) & 1;
}

Aggregator *
Aggregator_new(Symtab *symtab)
{
    Aggregator *agg = xcalloc(1, sizeof(*agg));
    agg->symtab = symtab;
    return agg;
}

void
Aggregator_delete(Aggregator *agg)
{
    if (!agg)
        return;
    countmap_clear(&agg->cumulative);
    for (size_t i = 0; i < NBUCKETS; i++)
        countmap_clear(&agg->buckets[i].map);
    free(agg->threads);
    HashIndex_done(&agg->thread_index);
    free(agg->acc);
    HashIndex_done(&agg->index);
    free(agg->rows);
    free(agg->thread_view);
    free(agg->leafs);
    free(agg->process_view);
    free(agg->process_names);
    free(agg->links);
    free(agg);
}

bool
Aggregator_is_idle(const Sample *sample)
{
    return sample->state != 'R' || sample->group_stopped || sample->blocked;
}

/* Rebuilds the tid index for thread_count threads. */
static void
index_threads(Aggregator *agg)
{
    HashIndex_clear(&agg->thread_index);
    for (size_t i = 0; i < agg->thread_count; i++)
        HashIndex_add(&agg->thread_index, (uint32_t)agg->threads[i].tid, (uint32_t)i);
}

static AggThread *
find_thread(Aggregator *agg, pid_t tid)
{
    uint32_t i = HashIndex_find(&agg->thread_index, (uint32_t)tid, NULL, NULL);
    return i != HASHINDEX_NONE ? &agg->threads[i] : NULL;
}

static const AggThread *
find_thread_const(const Aggregator *agg, pid_t tid)
{
    uint32_t i = HashIndex_find(&agg->thread_index, (uint32_t)tid, NULL, NULL);
    return i != HASHINDEX_NONE ? &agg->threads[i] : NULL;
}

static AggThread *
get_thread(Aggregator *agg, pid_t tid)
{
    AggThread *t = find_thread(agg, tid);
    if (t)
        return t;
    agg->threads = xgrow(agg->threads, &agg->thread_cap, agg->thread_count + 1, sizeof(AggThread));
    HashIndex_add(&agg->thread_index, (uint32_t)tid, (uint32_t)agg->thread_count);
    t = &agg->threads[agg->thread_count++];
    memset(t, 0, sizeof(*t));
    t->tid = tid;
    t->cpu_pct = -1;
    return t;
}

size_t
Aggregator_entries(const Aggregator *agg)
{
    size_t n = agg->cumulative.used;
    for (size_t i = 0; i < NBUCKETS; i++)
        n += agg->buckets[i].map.used;
    return n;
}

size_t
Aggregator_thread_count(const Aggregator *agg)
{
    return agg->thread_count;
}

/* The entries of m whose thread is no longer listed, merged under tid 0. */
static void
fold_retired(Aggregator *agg, CountMap *m)
{
    bool any = false;
    for (size_t i = 0; i < m->used && !any; i++)
        any = entry_tid(m->slots[i].key) != 0 && !find_thread(agg, entry_tid(m->slots[i].key));
    if (!any)
        return;
    CountMap folded = {0};
    for (size_t i = 0; i < m->used; i++) {
        const CountSlot *slot = &m->slots[i];
        uint64_t key = slot->key;
        if (!find_thread(agg, entry_tid(key)))
            key &= ~(uint64_t)0x3fffff;
        countmap_add(&folded, key, slot->count, slot->time_ns);
    }
    countmap_clear(m);
    *m = folded;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The time before which threads leave: aged (AGG_RETIRE_NS ago), or later
 * when more than AGG_QUIET_MAX threads are gone and were not sampled since
 * quiet_since (the last seen of the AGG_QUIET_MAX most recently seen among them: a
 * live thread never leaves by this rule, however long it was not
 * sampled). */
static uint64_t
retire_before(const Aggregator *agg, uint64_t aged, uint64_t quiet_since)
{
    uint64_t before = aged;
    uint64_t *seen = xmalloc((agg->thread_count + 1) * sizeof(*seen));
    size_t quiet = 0;
    for (size_t i = 0; i < agg->thread_count; i++) {
        const AggThread *t = &agg->threads[i];
        if (t->tid != 0 && t->gone && t->last_seen_ns >= before && t->last_seen_ns < quiet_since)
            seen[quiet++] = t->last_seen_ns;
    }
    if (quiet > AGG_QUIET_MAX) {
        qsort(seen, quiet, sizeof(*seen), compare_u64);
        before = seen[quiet - AGG_QUIET_MAX];
    }
    free(seen);
    return before;
}

void
Aggregator_retire_threads(Aggregator *agg, uint64_t now_ns, uint64_t quiet_ns)
{
    uint64_t aged = now_ns > AGG_RETIRE_NS ? now_ns - AGG_RETIRE_NS : 0;
    uint64_t before = retire_before(agg, aged, now_ns > quiet_ns ? now_ns - quiet_ns : 0);
    size_t kept = 0;
    for (size_t i = 0; i < agg->thread_count; i++) {
        const AggThread *t = &agg->threads[i];
        if (t->tid != 0 && t->last_seen_ns < before && (t->gone || t->last_seen_ns < aged))
            continue;
        agg->threads[kept++] = *t;
    }
    if (kept == agg->thread_count)
        return;
    agg->thread_count = kept;
    index_threads(agg);
    /* Their counts, cumulative and in the window, under tid 0: what is kept
     * grows with the live threads, not with every thread ever seen (thread
     * churn). */
    fold_retired(agg, &agg->cumulative);
    for (size_t i = 0; i < NBUCKETS; i++)
        fold_retired(agg, &agg->buckets[i].map);
    /* Names of processes none of whose threads is kept (process churn). */
    size_t names = 0;
    for (size_t i = 0; i < agg->process_name_count; i++) {
        bool kept_thread = agg->process_names[i].named_ns >= aged;
        for (size_t k = 0; k < agg->thread_count && !kept_thread; k++)
            kept_thread = agg->threads[k].pid == agg->process_names[i].pid;
        if (kept_thread)
            agg->process_names[names++] = agg->process_names[i];
    }
    agg->process_name_count = names;
    AggThread *exited = get_thread(agg, 0);
    if (agg->exited_name == SYMTAB_EMPTY)
        agg->exited_name = Symtab_intern_cstr(agg->symtab, "(exited threads)");
    exited->name = agg->exited_name;
    exited->gone = true;
}

void
Aggregator_name_thread(Aggregator *agg, pid_t tid, StrId name)
{
    get_thread(agg, tid)->name = name;
}

void
Aggregator_set_thread_cpu(Aggregator *agg, pid_t tid, double cpu_pct)
{
    get_thread(agg, tid)->cpu_pct = cpu_pct;
}

static int
compare_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

void
Aggregator_threads_listed(Aggregator *agg, const pid_t *tids, size_t n)
{
    for (size_t i = 0; i < agg->thread_count; i++) {
        AggThread *t = &agg->threads[i];
        if (t->tid != 0 && (!n || !bsearch(&t->tid, tids, n, sizeof(*tids), compare_pid)))
            t->gone = true;
    }
}

static Bucket *
bucket_for(Aggregator *agg, uint64_t index)
{
    Bucket *b = &agg->buckets[index % NBUCKETS];
    if (b->index != index) {
        countmap_clear(&b->map);
        b->index = index;
    }
    return b;
}

void
Aggregator_add(Aggregator *agg, const Sample *sample, uint64_t weight_ns)
{
    size_t depth;
    Symtab_stack(agg->symtab, sample->stack, &depth);
    AggThread *t = get_thread(agg, sample->tid);
    if (sample->pid)
        t->pid = sample->pid;
    t->state = sample->group_stopped ? 'T' : sample->state;
    t->last_seen_ns = sample->t_ns;
    t->gone = false;
    /* No stack: counted as an error by the sampler, not here; but a thread
     * left asleep (no stack by design) counts, as the idle sample it is. */
    if (depth == 0 && sample->status != SAMPLE_ASLEEP)
        return;
    t->samples++;
    bool idle = Aggregator_is_idle(sample);
    uint64_t key = entry_key(sample->stack, sample->tid, idle, sample->holds_gil);
    countmap_add(&agg->cumulative, key, 1, weight_ns);
    uint64_t index = sample->t_ns / AGG_BUCKET_NS;
    /* A sample older than the window's start would land in a bucket that
     * has been reused; drop it. */
    if (index + NBUCKETS <= agg->now_index)
        return;
    countmap_add(&bucket_for(agg, index)->map, key, 1, weight_ns);
    if (index > agg->now_index)
        agg->now_index = index;
}

void
Aggregator_advance(Aggregator *agg, uint64_t now_ns)
{
    uint64_t index = now_ns / AGG_BUCKET_NS;
    if (index > agg->now_index)
        agg->now_index = index;
}

void
Aggregator_reset(Aggregator *agg)
{
    countmap_clear(&agg->cumulative);
    for (size_t i = 0; i < NBUCKETS; i++) {
        countmap_clear(&agg->buckets[i].map);
        agg->buckets[i].index = 0;
    }
    for (size_t i = 0; i < agg->thread_count; i++)
        agg->threads[i].samples = 0;
}

/* Walks the count maps a query's percentages come from: the buckets of the
 * window, or the cumulative map when the query asks for everything since
 * the start (a recording's selected range). */
typedef struct WindowIter {
    const Aggregator *agg;
    bool cumulative;
    uint64_t bucket, buckets; /* buckets back from now_index, and how many */
    const CountMap *map;
    size_t slot;
} WindowIter;

static unsigned
clamp_window(unsigned window_s)
{
    if (window_s < 1)
        return 1;
    return window_s > AGG_WINDOW_MAX_S ? AGG_WINDOW_MAX_S : window_s;
}

static void
window_begin(WindowIter *it, const Aggregator *agg, const AggQuery *q)
{
    memset(it, 0, sizeof(*it));
    it->agg = agg;
    it->cumulative = q->cumulative;
    if (q->cumulative) {
        it->map = &agg->cumulative;
        return;
    }
    unsigned window_s = clamp_window(q->window_s);
    it->buckets = (uint64_t)window_s * (1000000000u / AGG_BUCKET_NS);
    if (it->buckets > agg->now_index + 1)
        it->buckets = agg->now_index + 1;
}

static const CountSlot *
window_next(WindowIter *it)
{
    for (;;) {
        if (it->map) {
            if (it->slot < it->map->used)
                return &it->map->slots[it->slot++];
            it->map = NULL;
            if (it->cumulative)
                return NULL;
        }
        if (it->bucket >= it->buckets)
            return NULL;
        uint64_t index = it->agg->now_index - it->bucket++;
        const Bucket *b = &it->agg->buckets[index % NBUCKETS];
        if (b->index == index) {
            it->map = &b->map;
            it->slot = 0;
        }
    }
}

/* Whether the entry's thread is the query's thread and in its process. */
static bool
thread_passes(const Aggregator *agg, const AggQuery *q, uint64_t key)
{
    if (q->tid && entry_tid(key) != q->tid)
        return false;
    if (q->pid) {
        const AggThread *t = find_thread_const(agg, entry_tid(key));
        return t && t->pid == q->pid;
    }
    return true;
}

static bool
entry_passes(const Aggregator *agg, const AggQuery *q, uint64_t key)
{
    if (!thread_passes(agg, q, key))
        return false;
    if (!q->include_idle && entry_idle(key))
        return false;
    if (q->gil_only && !entry_gil(key))
        return false;
    return true;
}

/* A function: its name in its module; a Python function (no module) in
 * its file, so that every main, run and __init__ is not one row. */
static uint64_t
function_key(const SymtabFrame *f)
{
    StrId where = f->kind == FRAME_PYTHON ? f->file : f->module;
    return (1ull << 63) | ((uint64_t)f->function << 31) | where;
}

/* The function and module (or file) of a function_key(). */
static void
function_of_key(uint64_t key, StrId *function, StrId *where)
{
    *function = (StrId)((key >> 31) & 0xffffffffu);
    *where = (StrId)(key & 0x7fffffffu);
}

static uint64_t
row_key(const AggQuery *q, FrameId frame_id, const SymtabFrame *f)
{
    if (q->mode == AGG_BY_LINE)
        return (1ull << 63) | frame_id;
    return (1ull << 62) | function_key(f);
}

static RowAcc *
row_for(Aggregator *agg, const AggQuery *q, FrameId frame_id)
{
    const SymtabFrame *f = Symtab_frame(agg->symtab, frame_id);
    uint64_t key = row_key(q, frame_id, f);
    uint32_t j = HashIndex_intern(&agg->index, key, (uint32_t)agg->acc_count, NULL, NULL);
    if (j < agg->acc_count)
        return &agg->acc[j];
    agg->acc = xgrow(agg->acc, &agg->acc_cap, agg->acc_count + 1, sizeof(RowAcc));
    RowAcc *acc = &agg->acc[agg->acc_count++];
    memset(acc, 0, sizeof(*acc));
    acc->row.key = key;
    acc->row.function = f->function;
    acc->row.file = f->file;
    acc->row.module = f->module;
    acc->row.line = f->line;
    return acc;
}

/* Adds one entry's counts to the rows of its stack's frames. */
static void
account(Aggregator *agg, const AggQuery *q, uint64_t key, uint64_t count, uint64_t time_ns,
        bool window)
{
    size_t depth;
    const FrameId *frames = Symtab_stack(agg->symtab, entry_stack(key), &depth);
    if (depth == 0)
        return;
    agg->stamp++;
    for (size_t i = 0; i < depth; i++) {
        RowAcc *acc = row_for(agg, q, frames[i]);
        if (i == 0) {
            if (window)
                acc->row.own_window += count;
            else
                acc->row.own_ns += time_ns;
        }
        if (acc->stamp == agg->stamp)
            continue; /* recursion: once per stack */
        acc->stamp = agg->stamp;
        if (window)
            acc->row.total_window += count;
        else
            acc->row.total_ns += time_ns;
    }
}

static bool
contains(const char *haystack, const char *needle)
{
    return strcasestr(haystack, needle) != NULL;
}

static bool
row_matches(const Aggregator *agg, const AggRow *row, const char *filter)
{
    if (!filter || !filter[0])
        return true;
    return contains(Symtab_string(agg->symtab, row->function), filter) ||
           contains(Symtab_string(agg->symtab, row->file), filter) ||
           contains(Symtab_string(agg->symtab, row->module), filter);
}

typedef struct SortContext {
    AggSort by;
    const Symtab *symtab;
} SortContext;

static int
compare_u64_desc(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

static int
compare_rows(const void *pa, const void *pb, void *arg)
{
    const AggRow *a = pa, *b = pb;
    const SortContext *ctx = arg;
    int c = 0;
    switch (ctx->by) {
    case AGG_SORT_OWN_PCT:
        c = compare_u64_desc(a->own_window, b->own_window);
        if (!c)
            c = compare_u64_desc(a->total_window, b->total_window);
        break;
    case AGG_SORT_TOTAL_PCT:
        c = compare_u64_desc(a->total_window, b->total_window);
        if (!c)
            c = compare_u64_desc(a->own_window, b->own_window);
        break;
    case AGG_SORT_OWN_TIME:
        c = compare_u64_desc(a->own_ns, b->own_ns);
        if (!c)
            c = compare_u64_desc(a->total_ns, b->total_ns);
        break;
    case AGG_SORT_TOTAL_TIME:
        c = compare_u64_desc(a->total_ns, b->total_ns);
        if (!c)
            c = compare_u64_desc(a->own_ns, b->own_ns);
        break;
    case AGG_SORT_NAME:
    case AGG_SORT_COUNT:
        break;
    }
    if (!c)
        c = strcmp(Symtab_string(ctx->symtab, a->function),
                   Symtab_string(ctx->symtab, b->function));
    if (!c)
        c = (a->line > b->line) - (a->line < b->line);
    if (!c)
        c = (a->key > b->key) - (a->key < b->key);
    return c;
}

static void
reset_rows(Aggregator *agg)
{
    agg->acc_count = 0;
    HashIndex_clear(&agg->index);
}

size_t
Aggregator_query(Aggregator *agg, const AggQuery *q, const AggRow **rows, AggTotals *totals)
{
    memset(totals, 0, sizeof(*totals));
    reset_rows(agg);
    for (size_t i = 0; i < agg->cumulative.used; i++) {
        const CountSlot *slot = &agg->cumulative.slots[i];
        if (!entry_passes(agg, q, slot->key))
            continue;
        totals->samples += slot->count;
        totals->time_ns += slot->time_ns;
        account(agg, q, slot->key, slot->count, slot->time_ns, false);
    }
    WindowIter it;
    window_begin(&it, agg, q);
    for (const CountSlot *slot; (slot = window_next(&it));) {
        if (thread_passes(agg, q, slot->key)) {
            totals->window_all += slot->count;
            if (entry_idle(slot->key))
                totals->window_idle += slot->count;
        }
        if (!entry_passes(agg, q, slot->key))
            continue;
        totals->window_samples += slot->count;
        account(agg, q, slot->key, slot->count, 0, true);
    }
    agg->rows = xgrow(agg->rows, &agg->rows_cap, agg->acc_count, sizeof(AggRow));
    size_t n = 0;
    for (size_t i = 0; i < agg->acc_count; i++)
        if (row_matches(agg, &agg->acc[i].row, q->filter))
            agg->rows[n++] = agg->acc[i].row;
    SortContext ctx = {q->sort, agg->symtab};
    if (n > 1)
        qsort_r(agg->rows, n, sizeof(AggRow), compare_rows, &ctx);
    *rows = agg->rows;
    return n;
}

void
Aggregator_name_process(Aggregator *agg, pid_t pid, StrId command)
{
    for (size_t i = 0; i < agg->process_name_count; i++) {
        if (agg->process_names[i].pid == pid) {
            agg->process_names[i].command = command;
            return;
        }
    }
    agg->process_names = xgrow(agg->process_names, &agg->process_name_cap,
                               agg->process_name_count + 1, sizeof(*agg->process_names));
    agg->process_names[agg->process_name_count].pid = pid;
    agg->process_names[agg->process_name_count].named_ns = agg->now_index * AGG_BUCKET_NS;
    agg->process_names[agg->process_name_count++].command = command;
}

static StrId
process_command(const Aggregator *agg, pid_t pid)
{
    for (size_t i = 0; i < agg->process_name_count; i++)
        if (agg->process_names[i].pid == pid)
            return agg->process_names[i].command;
    return SYMTAB_EMPTY;
}

static int
compare_threads(const void *pa, const void *pb)
{
    const AggThread *a = pa, *b = pb;
    int c = compare_u64_desc(a->window_active, b->window_active);
    if (!c)
        c = compare_u64_desc(a->window_samples, b->window_samples);
    if (!c)
        c = (a->tid > b->tid) - (a->tid < b->tid);
    return c;
}

/* The function (and module) with the most leaf samples in m, a map of
 * function_key()s; left as they are when m is empty. */
static void
hottest(const CountMap *m, StrId *function, StrId *module)
{
    uint64_t best = 0;
    for (size_t i = 0; i < m->used; i++) {
        const CountSlot *s = &m->slots[i];
        if (s->count <= best)
            continue;
        best = s->count;
        function_of_key(s->key, function, module);
    }
}

static int
compare_leafs(const void *pa, const void *pb)
{
    const LeafCount *a = pa, *b = pb;
    if (a->thread != b->thread)
        return a->thread < b->thread ? -1 : 1;
    if (a->function != b->function)
        return a->function < b->function ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

/* Each thread's function with the most leaf samples among n leafs (ties:
 * the one the window showed first), into agg->thread_view. */
static void
set_hot_functions(Aggregator *agg, LeafCount *leafs, size_t n)
{
    if (n > 1)
        qsort(leafs, n, sizeof(*leafs), compare_leafs);
    size_t i = 0;
    while (i < n) {
        uint32_t thread = leafs[i].thread;
        uint64_t best = 0, best_function = 0;
        uint32_t best_first = UINT32_MAX;
        while (i < n && leafs[i].thread == thread) {
            /* One function's run: its first showing leads (sorted so). */
            size_t k = i;
            uint64_t count = 0;
            for (; k < n && leafs[k].thread == thread && leafs[k].function == leafs[i].function;
                 k++)
                count += leafs[k].count;
            if (count > best || (count == best && leafs[i].first < best_first)) {
                best = count;
                best_function = leafs[i].function;
                best_first = leafs[i].first;
            }
            i = k;
        }
        function_of_key(best_function, &agg->thread_view[thread].hot_function,
                        &agg->thread_view[thread].hot_module);
    }
}

size_t
Aggregator_threads(Aggregator *agg, const AggQuery *q, const AggThread **threads)
{
    agg->thread_view =
        xgrow(agg->thread_view, &agg->thread_view_cap, agg->thread_count, sizeof(AggThread));
    for (size_t i = 0; i < agg->thread_count; i++) {
        agg->thread_view[i] = agg->threads[i];
        agg->thread_view[i].window_samples = 0;
        agg->thread_view[i].window_active = 0;
        agg->thread_view[i].hot_function = SYMTAB_EMPTY;
        agg->thread_view[i].hot_module = SYMTAB_EMPTY;
    }
    /* Per thread: samples in the window, and leaf counts per function, in
     * one array kept from call to call (a count map per thread was some
     * 3,000 allocations a call at 1,000 threads). */
    size_t leaf_count = 0;
    WindowIter it;
    window_begin(&it, agg, q);
    for (const CountSlot *slot; (slot = window_next(&it));) {
        /* thread_view is threads, in the same order, so far. */
        const AggThread *found = find_thread(agg, entry_tid(slot->key));
        if (!found)
            continue;
        size_t t = (size_t)(found - agg->threads);
        agg->thread_view[t].window_samples += slot->count;
        if (entry_idle(slot->key) && !q->include_idle)
            continue;
        if (!entry_idle(slot->key))
            agg->thread_view[t].window_active += slot->count;
        size_t depth;
        const FrameId *frames = Symtab_stack(agg->symtab, entry_stack(slot->key), &depth);
        if (depth == 0)
            continue;
        const SymtabFrame *f = Symtab_frame(agg->symtab, frames[0]);
        agg->leafs = xgrow(agg->leafs, &agg->leafs_cap, leaf_count + 1, sizeof(*agg->leafs));
        agg->leafs[leaf_count] = (LeafCount){.thread = (uint32_t)t,
                                             .first = (uint32_t)leaf_count,
                                             .function = function_key(f),
                                             .count = slot->count};
        leaf_count++;
    }
    set_hot_functions(agg, agg->leafs, leaf_count);
    size_t n = 0;
    for (size_t i = 0; i < agg->thread_count; i++) {
        const AggThread *t = &agg->thread_view[i];
        if (t->gone && t->window_samples == 0)
            continue;
        if (!q->include_idle && t->window_active == 0 && t->window_samples > 0)
            continue;
        agg->thread_view[n++] = *t;
    }
    if (n > 1)
        qsort(agg->thread_view, n, sizeof(AggThread), compare_threads);
    *threads = agg->thread_view;
    return n;
}

/* Whether frame_id is in the row of `key`, a row key of either mode. */
static int
compare_processes(const void *pa, const void *pb)
{
    const AggProcess *a = pa, *b = pb;
    int c = compare_u64_desc(a->window_active, b->window_active);
    if (!c)
        c = compare_u64_desc(a->window_samples, b->window_samples);
    if (!c)
        c = (a->pid > b->pid) - (a->pid < b->pid);
    return c;
}

static size_t
process_slot(const Aggregator *agg, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (agg->process_view[i].pid == pid)
            return i;
    return n;
}

size_t
Aggregator_processes(Aggregator *agg, const AggQuery *q, const AggProcess **processes)
{
    AggQuery all = *q;
    all.pid = 0;
    all.tid = 0;
    all.include_idle = true; /* every process is listed; its hottest is of q's choice */
    const AggThread *threads;
    size_t nthreads = Aggregator_threads(agg, &all, &threads);
    agg->process_view = xgrow(agg->process_view, &agg->process_view_cap, nthreads ? nthreads : 1,
                              sizeof(AggProcess));
    size_t n = 0;
    for (size_t i = 0; i < nthreads; i++) {
        const AggThread *t = &threads[i];
        if (!t->pid)
            continue; /* retired threads, or a recording without processes */
        size_t k = process_slot(agg, n, t->pid);
        if (k == n)
            agg->process_view[n++] = (AggProcess){.pid = t->pid,
                                                  .command = process_command(agg, t->pid),
                                                  .hot_function = SYMTAB_EMPTY,
                                                  .hot_module = SYMTAB_EMPTY,
                                                  .cpu_pct = -1,
                                                  .gone = true};
        AggProcess *p = &agg->process_view[k];
        p->threads++;
        p->window_samples += t->window_samples;
        p->window_active += t->window_active;
        p->samples += t->samples;
        if (t->cpu_pct >= 0)
            p->cpu_pct = (p->cpu_pct < 0 ? 0 : p->cpu_pct) + t->cpu_pct;
        p->gone &= t->gone;
    }
    /* The hottest function of each: leaf counts per process. */
    CountMap *leafs = xcalloc(n ? n : 1, sizeof(CountMap));
    WindowIter it;
    window_begin(&it, agg, &all);
    for (const CountSlot *slot; (slot = window_next(&it));) {
        if (entry_idle(slot->key) && !q->include_idle)
            continue;
        const AggThread *t = find_thread(agg, entry_tid(slot->key));
        size_t k = t && t->pid ? process_slot(agg, n, t->pid) : n;
        size_t depth;
        const FrameId *frames = Symtab_stack(agg->symtab, entry_stack(slot->key), &depth);
        if (k == n || depth == 0)
            continue;
        countmap_add(&leafs[k], function_key(Symtab_frame(agg->symtab, frames[0])), slot->count, 0);
    }
    for (size_t k = 0; k < n; k++) {
        hottest(&leafs[k], &agg->process_view[k].hot_function, &agg->process_view[k].hot_module);
        countmap_clear(&leafs[k]);
    }
    free(leafs);
    if (n > 1)
        qsort(agg->process_view, n, sizeof(AggProcess), compare_processes);
    *processes = agg->process_view;
    return n;
}

static bool
key_holds(const Aggregator *agg, uint64_t key, FrameId frame_id)
{
    if (!(key & (1ull << 62)))
        return key == ((1ull << 63) | frame_id);
    return key == ((1ull << 62) | function_key(Symtab_frame(agg->symtab, frame_id)));
}

bool
Aggregator_key_holds(const Aggregator *agg, uint64_t key, FrameId frame)
{
    return key_holds(agg, key, frame);
}

uint64_t
Aggregator_frame_function_key(const Aggregator *agg, FrameId frame)
{
    return (1ull << 62) | function_key(Symtab_frame(agg->symtab, frame));
}

uint64_t
Aggregator_function_key(const Aggregator *agg, uint64_t key)
{
    if (key & (1ull << 62))
        return key;
    FrameId frame = (FrameId)(key & 0xffffffffu);
    if (!(key >> 63) || frame >= Symtab_frame_count(agg->symtab))
        return 0;
    return Aggregator_frame_function_key(agg, frame);
}

void
Aggregator_each_stack(const Aggregator *agg, const AggQuery *q, AggStackFn fn, void *arg)
{
    WindowIter it;
    window_begin(&it, agg, q);
    for (const CountSlot *slot; (slot = window_next(&it));)
        if (entry_passes(agg, q, slot->key))
            fn(arg, entry_stack(slot->key), slot->count);
}

/* Adds count to the link of `key` (0: a pseudo-function, found by name). */
static void
add_link(AggLink **links, size_t *n, size_t *cap, uint64_t key, StrId function, StrId module,
         uint64_t count)
{
    for (size_t i = 0; i < *n; i++)
        if ((*links)[i].key == key && (key || (*links)[i].function == function)) {
            (*links)[i].samples += count;
            return;
        }
    *links = xgrow(*links, cap, *n + 1, sizeof(AggLink));
    (*links)[(*n)++] = (AggLink){function, module, key, count};
}

static int
compare_links(const void *pa, const void *pb)
{
    const AggLink *a = pa, *b = pb;
    return compare_u64_desc(a->samples, b->samples);
}

/* The link of the frame at frames[i]: its function's key and names. */
static void
add_frame_link(Aggregator *agg, AggLink **links, size_t *n, size_t *cap, FrameId frame,
               uint64_t count)
{
    const SymtabFrame *f = Symtab_frame(agg->symtab, frame);
    add_link(links, n, cap, Aggregator_frame_function_key(agg, frame), f->function, f->module,
             count);
}

void
Aggregator_links(Aggregator *agg, const AggQuery *q, uint64_t key, const AggLink **callers,
                 size_t *ncallers, const AggLink **callees, size_t *ncallees)
{
    /* Callers first, then callees, in one array. */
    AggLink *up = NULL, *down = NULL;
    size_t nup = 0, capup = 0, ndown = 0, capdown = 0;
    StrId root = Symtab_intern_cstr(agg->symtab, "(thread start)");
    StrId self = Symtab_intern_cstr(agg->symtab, "(self)");
    WindowIter it;
    window_begin(&it, agg, q);
    for (const CountSlot *slot; (slot = window_next(&it));) {
        if (!entry_passes(agg, q, slot->key))
            continue;
        size_t depth;
        const FrameId *frames = Symtab_stack(agg->symtab, entry_stack(slot->key), &depth);
        /* The outermost occurrence: under recursion, its caller is the
         * real entry into the function. */
        size_t outer = depth;
        size_t inner = depth;
        for (size_t i = 0; i < depth; i++) {
            if (key_holds(agg, key, frames[i])) {
                if (inner == depth)
                    inner = i;
                outer = i;
            }
        }
        if (outer == depth)
            continue;
        if (outer + 1 < depth)
            add_frame_link(agg, &up, &nup, &capup, frames[outer + 1], slot->count);
        else
            add_link(&up, &nup, &capup, 0, root, SYMTAB_EMPTY, slot->count);
        if (inner > 0)
            add_frame_link(agg, &down, &ndown, &capdown, frames[inner - 1], slot->count);
        else
            add_link(&down, &ndown, &capdown, 0, self, SYMTAB_EMPTY, slot->count);
    }
    if (nup > 1)
        qsort(up, nup, sizeof(AggLink), compare_links);
    if (ndown > 1)
        qsort(down, ndown, sizeof(AggLink), compare_links);
    agg->links = xgrow(agg->links, &agg->links_cap, nup + ndown, sizeof(AggLink));
    if (nup)
        memcpy(agg->links, up, nup * sizeof(AggLink));
    if (ndown)
        memcpy(agg->links + nup, down, ndown * sizeof(AggLink));
    free(up);
    free(down);
    *callers = agg->links;
    *ncallers = nup;
    *callees = agg->links + nup;
    *ncallees = ndown;
}
