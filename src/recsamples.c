#include "config.h"

#include "recsamples.h"

#include <stdlib.h>
#include <string.h>

#include "recformat.h"
#include "util.h"

/* ---- encoding ------------------------------------------------------------ */

/* A thread of the chunk, and how many entries it used. */
typedef struct RecChunkThread {
    pid_t pid, tid;
    uint32_t n_entries;
} RecChunkThread;

/* A thread's entry for this chunk: (state << REC_FLAG_BITS | flags, file
 * stack id). */
typedef struct RecEntry {
    uint64_t stack_tix; /* file stack id << 32 | tid index */
    uint32_t sf;
    uint32_t number; /* the entry's number in its thread's list */
} RecEntry;

/* The chunk-local index of (pid, tid), adding it to the chunk's table. A
 * tid reused by another process within the chunk is another thread. */
static uint32_t
tid_index(RecSamples *s, pid_t pid, pid_t tid)
{
    uint64_t key = (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
    uint32_t index = HashIndex_intern(&s->tid_index, key, (uint32_t)s->n_tids, NULL, NULL);
    if (index == s->n_tids) {
        s->tids = xgrow(s->tids, &s->tids_cap, s->n_tids + 1, sizeof(RecChunkThread));
        s->tids[s->n_tids++] = (RecChunkThread){pid, tid, 0};
    }
    return index;
}

typedef struct EntryKey {
    const RecEntry *entries;
    uint64_t stack_tix;
    uint32_t sf;
} EntryKey;

static bool
entry_equal(const void *ctx, uint32_t id)
{
    const EntryKey *k = ctx;
    return k->entries[id].stack_tix == k->stack_tix && k->entries[id].sf == k->sf;
}

static uint64_t
entry_hash(uint64_t stack_tix, uint32_t sf)
{
    return Util_mix64(stack_tix ^ Util_mix64(sf));
}

/* The number of (state, flags, stack) in thread tix's list for this chunk;
 * *added when the thread uses it for the first time in the chunk. */
static uint32_t
entry_number(RecSamples *s, uint32_t tix, uint32_t sf, uint32_t stack, bool *added)
{
    uint64_t stack_tix = (uint64_t)stack << 32 | tix;
    EntryKey key = {s->entries, stack_tix, sf};
    uint32_t j = HashIndex_intern(&s->entry_index, entry_hash(stack_tix, sf),
                                  (uint32_t)s->n_entries, entry_equal, &key);
    *added = j == s->n_entries;
    if (*added) {
        s->entries = xgrow(s->entries, &s->entries_cap, s->n_entries + 1, sizeof(RecEntry));
        s->entries[s->n_entries++] = (RecEntry){stack_tix, sf, s->tids[tix].n_entries++};
    }
    return s->entries[j].number;
}

static void
put_bits(RecSamples *s, uint64_t v, unsigned n)
{
    while (n > 0) {
        unsigned take = n > 32 ? 32 : n;
        s->bit_acc |= (v & ((1ull << take) - 1)) << s->bit_count;
        s->bit_count += take;
        v >>= take;
        n -= take;
        while (s->bit_count >= 8) {
            RecBuf_put_u8(&s->c_tbits, (uint8_t)s->bit_acc);
            s->bit_acc >>= 8;
            s->bit_count -= 8;
        }
    }
}

/* A time difference: a code byte (0: zero; 1..64: positive, of that many
 * bits; 65..128: negative, of code - 64 bits), and the bits of its
 * magnitude below the leading one into a bit stream. Jittered sampling
 * times are nearly random in their low bits: packed, they cost what they
 * hold and no more, which varints through deflate do not. */
static void
put_time(RecSamples *s, int64_t d)
{
    uint64_t m = d >= 0 ? (uint64_t)d : (uint64_t)(-(d + 1)) + 1;
    unsigned len = m ? 64 - (unsigned)__builtin_clzll(m) : 0;
    RecBuf_put_u8(&s->c_tcode, (uint8_t)(d < 0 ? 64 + len : len));
    if (len > 1)
        put_bits(s, m, len - 1);
}

void
RecSamples_add(RecSamples *s, bool timed, int64_t units, pid_t pid, pid_t tid, uint32_t state_flags,
               uint32_t stack)
{
    /* Times are differences (wrapping arithmetic: no overflow in C, and
     * the reader checks the range). */
    if (!timed) {
        RecBuf_put_u8(&s->c_tcode, REC_TIME_NONE);
    } else {
        put_time(s, (int64_t)((uint64_t)units - (uint64_t)s->last_units));
        s->last_units = units;
    }
    uint32_t tix = tid_index(s, pid, tid);
    RecBuf_put_varint(&s->c_tid, tix);
    bool added;
    RecBuf_put_varint(&s->c_ref, entry_number(s, tix, state_flags, stack, &added));
    if (added) {
        RecBuf_put_u8(&s->c_new, (uint8_t)(state_flags >> REC_FLAG_BITS));
        RecBuf_put_varint(&s->c_new, state_flags & ((1u << REC_FLAG_BITS) - 1));
        RecBuf_put_varint(&s->c_new, stack);
    }
    s->count++;
}

void
RecSamples_finish(RecSamples *s, RecBuf *raw)
{
    if (s->bit_count) {
        RecBuf_put_u8(&s->c_tbits, (uint8_t)s->bit_acc);
        s->bit_acc = 0;
        s->bit_count = 0;
    }
    RecBuf_put_varint(raw, s->n_tids);
    for (size_t i = 0; i < s->n_tids; i++) {
        RecBuf_put_varint(raw, (uint64_t)s->tids[i].tid);
        RecBuf_put_varint(raw, (uint64_t)s->tids[i].pid);
    }
    RecBuf_put_varint(raw, s->count);
    RecBuf_put(raw, s->c_tcode.data, s->c_tcode.len);
    RecBuf_put_bytes(raw, s->c_tbits.data, s->c_tbits.len);
    RecBuf_put(raw, s->c_tid.data, s->c_tid.len);
    RecBuf_put(raw, s->c_ref.data, s->c_ref.len);
    RecBuf_put(raw, s->c_new.data, s->c_new.len);
    s->c_tcode.len = s->c_tbits.len = s->c_tid.len = s->c_ref.len = s->c_new.len = 0;
    s->count = 0;
    s->last_units = 0;
    s->n_tids = 0;
    HashIndex_clear(&s->tid_index);
    s->n_entries = 0;
    HashIndex_clear(&s->entry_index);
}

void
RecSamples_done(RecSamples *s)
{
    RecBuf *bufs[] = {&s->c_tcode, &s->c_tbits, &s->c_tid, &s->c_ref, &s->c_new};
    for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
        RecBuf_done(bufs[i]);
    free(s->tids);
    HashIndex_done(&s->tid_index);
    free(s->entries);
    HashIndex_done(&s->entry_index);
    memset(s, 0, sizeof(*s));
}

/* ---- decoding ------------------------------------------------------------ */

/* Reads the time column: codes, then the bit stream of magnitudes. */
static bool
read_times(const RecSamplesOut *o, RecCursor *c, Sample *out, size_t n)
{
    const uint8_t *codes = RecCursor_take(c, n);
    size_t nbytes;
    const uint8_t *bits = RecCursor_bytes(c, &nbytes);
    if (c->bad)
        return false;
    size_t pos = 0;   /* next byte of bits */
    uint64_t acc = 0; /* bits not used yet, low first */
    unsigned have = 0;
    int64_t rel = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned code = codes[i];
        if (code == REC_TIME_NONE) {
            out[i].t_ns = 0; /* never stopped: no time; the chain goes on */
            continue;
        }
        if (code > 128)
            return false;
        bool negative = code > 64;
        unsigned len = negative ? code - 64 : code;
        uint64_t m = 0;
        for (unsigned need = len > 1 ? len - 1 : 0, got = 0; need > 0;) {
            if (have == 0) {
                if (pos == nbytes)
                    return false;
                acc = bits[pos++];
                have = 8;
            }
            unsigned take = need < have ? need : have;
            m |= (acc & ((1ull << take) - 1)) << got;
            acc >>= take;
            have -= take;
            got += take;
            need -= take;
        }
        if (len > 0)
            m |= 1ull << (len - 1); /* the leading one, not stored */
        int64_t d;
        if (!negative) {
            if (m > INT64_MAX)
                return false;
            d = (int64_t)m;
        } else {
            if (m > (uint64_t)INT64_MAX + 1)
                return false;
            d = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
        }
        int64_t ns;
        if (__builtin_add_overflow(rel, d, &rel) ||
            __builtin_mul_overflow(rel, (int64_t)o->time_unit_ns, &ns) ||
            !Rec_abs_time(o->start_mono_ns, ns, &out[i].t_ns))
            return false;
    }
    /* Every byte used, and the padding of the last one zero. */
    return pos == nbytes && acc == 0;
}

bool
RecSamples_decode(RecCursor *c, const RecSamplesOut *o, char **why)
{
    uint64_t ntids = RecCursor_varint(c);
    if (c->bad || ntids == 0 || ntids > RecCursor_left(c))
        return false;
    pid_t *tids = xreallocarray(NULL, (size_t)ntids, sizeof(pid_t));
    pid_t *pids = xreallocarray(NULL, (size_t)ntids, sizeof(pid_t));
    for (uint64_t i = 0; i < ntids && !c->bad; i++) {
        uint64_t tid = RecCursor_varint(c);
        uint64_t pid = o->with_pids ? RecCursor_varint(c) : 0;
        if (pid == 0)
            pid = (uint64_t)o->pid; /* not known when it was written: the header's */
        if (tid == 0 || tid > INT32_MAX || pid > INT32_MAX)
            c->bad = true;
        tids[i] = (pid_t)tid;
        pids[i] = (pid_t)pid;
    }
    uint64_t n = RecCursor_varint(c);
    /* Each sample takes at least 3 bytes: time code, tid, reference. */
    if (c->bad || n == 0 || n > RecCursor_left(c) / 3) {
        free(tids);
        free(pids);
        return false;
    }
    if (*o->count + n > REC_READ_SAMPLES_MAX) {
        *why = xasprintf("more than %u samples: the rest is not read", REC_READ_SAMPLES_MAX);
        free(tids);
        free(pids);
        return false;
    }
    *o->samples = xgrow(*o->samples, o->cap, *o->count + n, sizeof(Sample));
    Sample *out = *o->samples + *o->count;
    memset(out, 0, (size_t)n * sizeof(Sample));
    uint32_t *tix = xreallocarray(NULL, (size_t)n, sizeof(uint32_t));
    uint32_t *refs = xreallocarray(NULL, (size_t)n, sizeof(uint32_t));
    uint32_t *list_len = xcalloc((size_t)ntids, sizeof(uint32_t));
    uint32_t *list_base = xcalloc((size_t)ntids, sizeof(uint32_t));
    uint32_t *entry_sf = NULL; /* state << REC_FLAG_BITS | flags */
    uint32_t *entry_stack = NULL;
    bool ok = read_times(o, c, out, (size_t)n);
    for (uint64_t i = 0; i < n && ok; i++) {
        uint64_t x = RecCursor_varint(c);
        ok = !c->bad && x < ntids;
        tix[i] = (uint32_t)x;
        out[i].tid = ok ? tids[x] : 0;
        out[i].pid = ok ? pids[x] : 0;
    }
    /* References: check them and size each thread's list first; then read
     * the entries they add into those lists. */
    size_t added = 0;
    for (uint64_t i = 0; i < n && ok; i++) {
        uint64_t x = RecCursor_varint(c);
        ok = !c->bad && x <= list_len[tix[i]];
        refs[i] = (uint32_t)x;
        if (ok && x == list_len[tix[i]]) {
            list_len[tix[i]]++;
            added++;
        }
    }
    if (ok) {
        size_t base = 0;
        for (uint64_t t = 0; t < ntids; t++) {
            list_base[t] = (uint32_t)base;
            base += list_len[t];
            list_len[t] = 0;
        }
        entry_sf = xreallocarray(NULL, added ? added : 1, sizeof(uint32_t));
        entry_stack = xreallocarray(NULL, added ? added : 1, sizeof(uint32_t));
    }
    for (uint64_t i = 0; i < n && ok; i++) {
        uint32_t t = tix[i];
        if (refs[i] == list_len[t]) {
            uint8_t state = RecCursor_u8(c);
            uint64_t flags = RecCursor_varint(c);
            uint64_t stack = RecCursor_varint(c);
            ok = !c->bad && Rec_flags_valid(flags) && stack < o->n_stack_ids;
            if (!ok)
                break;
            uint32_t k = list_base[t] + list_len[t]++;
            entry_sf[k] = (uint32_t)state << REC_FLAG_BITS | (uint32_t)flags;
            entry_stack[k] = o->stack_ids[stack];
        }
        uint32_t k = list_base[t] + refs[i];
        out[i].state = (char)(entry_sf[k] >> REC_FLAG_BITS);
        Rec_apply_flags(&out[i], entry_sf[k]);
        out[i].stack = entry_stack[k];
    }
    free(tids);
    free(pids);
    free(tix);
    free(refs);
    free(list_len);
    free(list_base);
    free(entry_sf);
    free(entry_stack);
    if (!ok || c->bad)
        return false;
    *o->count += (size_t)n;
    return true;
}
