/* A plain-text table whose columns line up: every cell is escaped as
 * Util_fputs_escaped writes it, each column is as wide as its widest cell
 * (in characters), columns are two spaces apart, and a row's empty cells
 * at its end print nothing, not even spaces. For the hot lists of --batch
 * and of the text report (their figures in the first cell, then function,
 * location and module). */
#ifndef SPYTOP_SRC_TEXTTABLE_H
#define SPYTOP_SRC_TEXTTABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct TextTable TextTable;

TextTable *TextTable_new(size_t columns);
void TextTable_delete(TextTable *t);

/* Appends a row of `columns` cells (raw bytes, NULL or "" for none),
 * copied. */
void TextTable_add(TextTable *t, const char *const *cells);

/* Prints every row added, each ending in a newline. */
void TextTable_print(const TextTable *t, FILE *out);

#endif
