#include "config.h"

#include "codepieces.h"

#include <stdbool.h>
#include <stdlib.h>

#include "arch.h"
#include "ehframe.h"
#include "util.h"

/* The most bytes of one piece scanned (the evaluation loop is 60-120 KB). */
#define PIECE_SCAN_MAX (4u << 20)
/* Candidate FDEs already turned down, not examined again. */
#define REJECTED_MAX 256

typedef struct Search {
    Images *images;
    CodeRange *out;
    size_t count, max;
    uint64_t rejected[REJECTED_MAX];
    size_t rejected_count;
} Search;

/* The bytes of a piece, in a new buffer. */
static uint8_t *
read_piece(Images *images, const CodeRange *r, size_t *len)
{
    uint64_t n = r->end - r->start;
    if (n > PIECE_SCAN_MAX)
        n = PIECE_SCAN_MAX;
    uint8_t *buf = xmalloc(n ? (size_t)n : 1);
    if (Images_read(images, r->start, buf, (size_t)n) < 0) {
        free(buf);
        return NULL;
    }
    *len = (size_t)n;
    return buf;
}

/* Whether the code of piece has a direct jump into the pieces found. */
static bool
jumps_back(Search *s, const CodeRange *piece)
{
    size_t len, pos = 0;
    uint8_t *code = read_piece(s->images, piece, &len);
    if (!code)
        return false;
    uint64_t target;
    bool found = false;
    while (!found && Arch_next_jump(code, len, piece->start, &pos, &target))
        found = CodePieces_contain(s->out, s->count, target);
    free(code);
    return found;
}

static bool
was_rejected(const Search *s, uint64_t start)
{
    for (size_t i = 0; i < s->rejected_count; i++)
        if (s->rejected[i] == start)
            return true;
    return false;
}

static void
reject(Search *s, uint64_t start)
{
    if (s->rejected_count < REJECTED_MAX)
        s->rejected[s->rejected_count++] = start;
}

/* Adds the pieces the code of piece jumps to. */
static void
follow_jumps(Search *s, const CodeRange *piece)
{
    size_t len, pos = 0;
    uint8_t *code = read_piece(s->images, piece, &len);
    if (!code)
        return;
    uint64_t target;
    while (s->count < s->max && Arch_next_jump(code, len, piece->start, &pos, &target)) {
        EhFrameFde fde;
        if (CodePieces_contain(s->out, s->count, target) ||
            EhFrame_find(s->images, target, &fde) < 0 || was_rejected(s, fde.start))
            continue;
        CodeRange candidate = {fde.start, fde.end};
        if (fde.entry_state || !jumps_back(s, &candidate)) {
            reject(s, fde.start);
            continue;
        }
        s->out[s->count++] = candidate;
    }
    free(code);
}

size_t
CodePieces_find(Images *images, uint64_t addr, CodeRange *out, size_t max)
{
    EhFrameFde first;
    if (max == 0 || EhFrame_find(images, addr, &first) < 0)
        return 0;
    Search *s = xcalloc(1, sizeof(*s));
    s->images = images;
    s->out = out;
    s->max = max;
    out[s->count++] = (CodeRange){first.start, first.end};
    /* Pieces of pieces too: each one found is scanned in turn. */
    for (size_t i = 0; i < s->count && s->count < max; i++) {
        CodeRange piece = out[i];
        follow_jumps(s, &piece);
    }
    size_t count = s->count;
    free(s);
    return count;
}
