/* The text of a row of figures, the same in every output (--batch, the
 * ncurses screens, text reports): times, percentages, function, location
 * and module names, and the names of the sort columns. */
#ifndef SPYTOP_SRC_ROWTEXT_H
#define SPYTOP_SRC_ROWTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "aggregator.h"
#include "symtab.h"

/* "0.25s", "12.3s", "4m05s", "2h03m" into buf. */
void RowText_time(uint64_t ns, char *buf, size_t size);

/* part / whole as a percentage, 0 when whole is 0. */
double RowText_percent(uint64_t part, uint64_t whole);

/* A row's function name: the symbol, or "?? [module]" when unknown. A new
 * string, raw bytes (escape before display). */
char *RowText_function(const Symtab *symtab, StrId function, StrId module);

/* The last two components of a path ("app/main.c"), borrowed from path. */
const char *RowText_short_path(const char *path);

/* A row's location: the last two components of the file and its line
 * ("targets/chain.c:15"), or "" without line information. A new string. */
char *RowText_location(const Symtab *symtab, const AggRow *row, AggMode mode);

/* The basename of a module path, borrowed from the symtab. */
const char *RowText_module(const Symtab *symtab, StrId module);

/* Column titles and their order, for the sort keys AGG_SORT_*. */
const char *RowText_sort_name(AggSort sort);

#endif
