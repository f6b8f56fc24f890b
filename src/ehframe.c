#include "config.h"

#include "ehframe.h"

#include <errno.h>
#include <string.h>

#include "arch.h"

/* The most bytes of a CIE or an FDE read: the headers and the first
 * instructions, which is all the first row needs. */
#define ENTRY_READ_MAX 256

/* DWARF call frame instructions (DWARF 5, 6.4.2) and pointer encodings
 * (the LSB's .eh_frame). */
enum {
    CFA_advance_loc = 0x40,
    CFA_offset = 0x80,
    CFA_restore = 0xc0,
    CFA_nop = 0x00,
    CFA_set_loc = 0x01,
    CFA_advance_loc1 = 0x02,
    CFA_advance_loc2 = 0x03,
    CFA_advance_loc4 = 0x04,
    CFA_offset_extended = 0x05,
    CFA_restore_extended = 0x06,
    CFA_undefined = 0x07,
    CFA_same_value = 0x08,
    CFA_register = 0x09,
    CFA_def_cfa = 0x0c,
    CFA_def_cfa_register = 0x0d,
    CFA_def_cfa_offset = 0x0e,
    CFA_def_cfa_expression = 0x0f,
    CFA_expression = 0x10,
    CFA_offset_extended_sf = 0x11,
    CFA_def_cfa_sf = 0x12,
    CFA_def_cfa_offset_sf = 0x13,
    CFA_val_offset = 0x14,
    CFA_val_offset_sf = 0x15,
    CFA_val_expression = 0x16,
    CFA_GNU_args_size = 0x2e,
    CFA_GNU_negative_offset_extended = 0x2f,
};
#define PE_omit 0xff
#define PE_pcrel 0x10

/* A bounded reader over bytes copied from the target at addr. */
typedef struct Cursor {
    const uint8_t *p, *end;
    uint64_t addr; /* the target address of p */
    bool bad;
} Cursor;

static uint64_t
take(Cursor *c, size_t n)
{
    uint64_t v = 0;
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = true;
        return 0;
    }
    memcpy(&v, c->p, n); /* little-endian, as x86-64 */
    c->p += n;
    c->addr += n;
    return v;
}

static uint64_t
uleb(Cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b = (uint8_t)take(c, 1);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80) || c->bad)
            return v;
    }
    c->bad = true;
    return 0;
}

static int64_t
sleb(Cursor *c)
{
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = (uint8_t)take(c, 1);
        if (shift < 64)
            v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
    } while ((b & 0x80) && !c->bad && shift < 70);
    if (shift < 64 && (b & 0x40))
        v |= -((int64_t)1 << shift);
    return v;
}

/* A pointer in encoding enc; absolute and pc-relative ones only, which is
 * what .eh_frame holds. */
static uint64_t
encoded(Cursor *c, uint8_t enc)
{
    uint64_t at = c->addr, v;
    switch (enc & 0x0f) {
    case 0x00: /* absptr */
    case 0x04: /* udata8 */
    case 0x0c: /* sdata8 */
        v = take(c, 8);
        break;
    case 0x01:
        v = uleb(c);
        break;
    case 0x02:
        v = take(c, 2);
        break;
    case 0x03:
        v = take(c, 4);
        break;
    case 0x09:
        v = (uint64_t)sleb(c);
        break;
    case 0x0a:
        v = (uint64_t)(int64_t)(int16_t)take(c, 2);
        break;
    case 0x0b:
        v = (uint64_t)(int64_t)(int32_t)take(c, 4);
        break;
    default:
        c->bad = true;
        return 0;
    }
    switch (enc & 0x70) {
    case 0x00:
        return v;
    case PE_pcrel:
        return v + at;
    default:
        c->bad = true;
        return 0;
    }
}

/* Copies one CIE or FDE (at most ENTRY_READ_MAX bytes of it) into buf and
 * sets c over it, past its length field. */
static bool
read_entry(Images *images, uint64_t addr, uint8_t *buf, Cursor *c)
{
    uint32_t length;
    if (Images_read(images, addr, &length, sizeof(length)) < 0 || length == 0 ||
        length == 0xffffffffu) /* 64-bit DWARF: not in .eh_frame */
        return false;
    size_t n = length < ENTRY_READ_MAX ? length : ENTRY_READ_MAX;
    /* The end of an image may cut the last bytes off: take what there is. */
    while (n > 0 && Images_read(images, addr + 4, buf, n) < 0)
        n = n > 16 ? n / 2 : 0;
    if (n == 0)
        return false;
    *c = (Cursor){buf, buf + n, addr + 4, false};
    return true;
}

/* The register rules the first row needs: where the CFA is and whether any
 * register other than the return address has been saved. */
typedef struct FirstRow {
    uint64_t cfa_reg;
    int64_t cfa_offset;
    bool cfa_expression, saved, done;
} FirstRow;

static void
saved(FirstRow *row, uint64_t reg)
{
    if (reg != ARCH_DWARF_PC)
        row->saved = true;
}

/* Runs instructions until the first one that moves past the first row.
 * False on one this reader does not know. */
static bool
run(Cursor *c, FirstRow *row, int64_t data_align)
{
    while (!row->done && c->p < c->end && !c->bad) {
        uint8_t op = (uint8_t)take(c, 1);
        uint8_t low = op & 0x3f;
        switch (op & 0xc0) {
        case CFA_advance_loc:
            row->done = true;
            continue;
        case CFA_offset:
            uleb(c);
            saved(row, low);
            continue;
        case CFA_restore:
            continue;
        }
        switch (op) {
        case CFA_nop:
        case CFA_GNU_args_size:
            if (op == CFA_GNU_args_size)
                uleb(c);
            break;
        case CFA_set_loc:
        case CFA_advance_loc1:
        case CFA_advance_loc2:
        case CFA_advance_loc4:
            row->done = true;
            break;
        case CFA_offset_extended:
        case CFA_val_offset:
        case CFA_register:
            saved(row, uleb(c));
            uleb(c);
            break;
        case CFA_offset_extended_sf:
        case CFA_val_offset_sf:
        case CFA_GNU_negative_offset_extended:
            saved(row, uleb(c));
            sleb(c);
            break;
        case CFA_restore_extended:
        case CFA_undefined:
        case CFA_same_value:
            uleb(c);
            break;
        case CFA_def_cfa:
            row->cfa_reg = uleb(c);
            row->cfa_offset = (int64_t)uleb(c);
            row->cfa_expression = false;
            break;
        case CFA_def_cfa_sf:
            row->cfa_reg = uleb(c);
            row->cfa_offset = sleb(c) * data_align;
            row->cfa_expression = false;
            break;
        case CFA_def_cfa_register:
            row->cfa_reg = uleb(c);
            break;
        case CFA_def_cfa_offset:
            row->cfa_offset = (int64_t)uleb(c);
            break;
        case CFA_def_cfa_offset_sf:
            row->cfa_offset = sleb(c) * data_align;
            break;
        case CFA_def_cfa_expression:
            row->cfa_expression = true;
            take(c, (size_t)uleb(c));
            break;
        case CFA_expression:
        case CFA_val_expression:
            saved(row, uleb(c));
            take(c, (size_t)uleb(c));
            break;
        default:
            return false; /* remember/restore_state and the rest: not at a start */
        }
    }
    return !c->bad || row->done;
}

int
EhFrame_find(Images *images, uint64_t pc, EhFrameFde *out)
{
    UnwindTable t;
    if (Images_unwind_table(images, pc, &t) < 0)
        return -ENOENT;
    /* The last entry whose initial location is at or below pc. */
    uint64_t lo = 0, hi = t.fde_count, fde = 0;
    bool any = false;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int32_t entry[2];
        if (Images_read(images, t.table_addr + mid * 8, entry, sizeof(entry)) < 0)
            return -EINVAL;
        if (t.hdr_addr + (uint64_t)(int64_t)entry[0] <= pc) {
            fde = t.hdr_addr + (uint64_t)(int64_t)entry[1];
            any = true;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (!any)
        return -ENOENT;

    uint8_t fbuf[ENTRY_READ_MAX], cbuf[ENTRY_READ_MAX];
    Cursor f, c;
    if (!read_entry(images, fde, fbuf, &f))
        return -EINVAL;
    uint64_t cie_at = f.addr;
    uint32_t cie_ptr = (uint32_t)take(&f, 4);
    if (f.bad || cie_ptr == 0 || !read_entry(images, cie_at - cie_ptr, cbuf, &c) ||
        take(&c, 4) != 0)
        return -EINVAL;
    uint8_t version = (uint8_t)take(&c, 1);
    const char *aug = (const char *)c.p;
    size_t aug_len = strnlen(aug, (size_t)(c.end - c.p));
    take(&c, aug_len + 1);
    if (version == 4)
        take(&c, 2); /* address and segment selector sizes */
    uleb(&c);        /* code alignment */
    int64_t data_align = sleb(&c);
    if (version == 1)
        take(&c, 1);
    else
        uleb(&c);        /* return address register */
    uint8_t fde_enc = 0; /* absptr */
    bool has_z = aug_len > 0 && aug[0] == 'z';
    if (has_z) {
        uint64_t len = uleb(&c);
        const uint8_t *aug_end = c.p + len;
        for (size_t i = 1; i < aug_len && !c.bad && c.p < aug_end; i++) {
            if (aug[i] == 'R') {
                fde_enc = (uint8_t)take(&c, 1);
            } else if (aug[i] == 'L') {
                take(&c, 1);
            } else if (aug[i] == 'P') {
                uint8_t enc = (uint8_t)take(&c, 1);
                encoded(&c, enc & 0x7f);
            } else {
                break; /* 'S', 'B': nothing here; unknown: skip to the end */
            }
        }
        if (aug_end > c.end || aug_end < c.p)
            return -EINVAL;
        c.addr += (uint64_t)(aug_end - c.p);
        c.p = aug_end;
    } else if (aug_len > 0 && strcmp(aug, "eh") != 0) {
        return -EINVAL; /* an augmentation without its length: unreadable */
    }
    if (c.bad || fde_enc == PE_omit)
        return -EINVAL;

    uint64_t start = encoded(&f, fde_enc);
    uint64_t range = encoded(&f, fde_enc & 0x0f);
    if (has_z)
        take(&f, (size_t)uleb(&f));
    if (f.bad || range == 0 || start + range < start)
        return -EINVAL;
    if (pc < start || pc >= start + range)
        return -ENOENT; /* in a gap between FDEs */

    FirstRow row = {0};
    bool known = run(&c, &row, data_align);
    known = known && (row.done || run(&f, &row, data_align));
    out->start = start;
    out->end = start + range;
    out->entry_state = known && !row.cfa_expression && !row.saved && row.cfa_reg == ARCH_DWARF_SP &&
                       row.cfa_offset == ARCH_ENTRY_CFA_OFFSET;
    return 0;
}
