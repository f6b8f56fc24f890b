#include "config.h"

#include "texttable.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct TextTable {
    size_t columns;
    char **cells; /* rows * columns, escaped */
    size_t rows, cap;
    size_t *width; /* per column, in characters */
};

/* Characters, not bytes: an escaped cell is valid UTF-8. */
static size_t
text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

TextTable *
TextTable_new(size_t columns)
{
    TextTable *t = xcalloc(1, sizeof(*t));
    t->columns = columns;
    t->width = xcalloc(columns, sizeof(*t->width));
    return t;
}

void
TextTable_delete(TextTable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->width);
    free(t);
}

void
TextTable_add(TextTable *t, const char *const *cells)
{
    t->cells = xgrow(t->cells, &t->cap, (t->rows + 1) * t->columns, sizeof(*t->cells));
    char **row = t->cells + t->rows * t->columns;
    for (size_t c = 0; c < t->columns; c++) {
        row[c] = Util_escaped(cells[c] ? cells[c] : "");
        size_t w = text_width(row[c]);
        if (w > t->width[c])
            t->width[c] = w;
    }
    t->rows++;
}

void
TextTable_print(const TextTable *t, FILE *out)
{
    for (size_t r = 0; r < t->rows; r++) {
        char *const *row = t->cells + r * t->columns;
        size_t last = t->columns; /* one past the last cell with text */
        while (last > 0 && !row[last - 1][0])
            last--;
        for (size_t c = 0; c < last; c++) {
            if (c > 0)
                fputs("  ", out);
            fputs(row[c], out);
            if (c + 1 < last)
                fprintf(out, "%*s", (int)(t->width[c] - text_width(row[c])), "");
        }
        fputc('\n', out);
    }
}
