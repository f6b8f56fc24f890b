/* Text pieces of the hot list shared by every view (--batch, the ncurses
 * screens, text reports): times, percentages, locations, and the header
 * line of columns. */
#ifndef SPYTOP_SRC_HOTLIST_H
#define SPYTOP_SRC_HOTLIST_H

#include <stddef.h>
#include <stdint.h>

#include "aggregator.h"
#include "symtab.h"

/* "0.25s", "12.3s", "4m05s", "2h03m" into buf. */
void Hotlist_format_time(uint64_t ns, char *buf, size_t size);

/* part / whole as a percentage, 0 when whole is 0. */
double Hotlist_percent(uint64_t part, uint64_t whole);

/* A row's function name: the symbol, or "?? [module]" when unknown. A new
 * string, raw bytes (escape before display). */
char *Hotlist_function(const Symtab *symtab, StrId function, StrId module);

/* The last two components of a path ("app/main.c"), borrowed from path. */
const char *Hotlist_short_path(const char *path);

/* A row's location: the last two components of the file and its line
 * ("targets/chain.c:15"), or "" without line information. A new string. */
char *Hotlist_location(const Symtab *symtab, const AggRow *row, AggMode mode);

/* The basename of a module path, borrowed from the symtab. */
const char *Hotlist_module(const Symtab *symtab, StrId module);

/* Column titles and their order, for the sort keys AGG_SORT_*. */
const char *Hotlist_sort_name(AggSort sort);

#endif
