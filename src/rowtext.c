#include "config.h"

#include "rowtext.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

void
RowText_time(uint64_t ns, char *buf, size_t size)
{
    double s = (double)ns / 1e9;
    if (s < 10)
        snprintf(buf, size, "%.2fs", s);
    else if (s < 100)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%um%02us", (unsigned)(s / 60), (unsigned)s % 60);
    else
        snprintf(buf, size, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60) % 60);
}

double
RowText_percent(uint64_t part, uint64_t whole)
{
    return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

const char *
RowText_module(const Symtab *symtab, StrId module)
{
    const char *path = Symtab_string(symtab, module);
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *
RowText_function(const Symtab *symtab, StrId function, StrId module)
{
    const char *name = Symtab_string(symtab, function);
    if (name[0])
        return xstrdup(name);
    if (module != SYMTAB_EMPTY)
        return xasprintf("?? [%s]", RowText_module(symtab, module));
    return xstrdup("??");
}

const char *
RowText_short_path(const char *path)
{
    const char *start = path + strlen(path);
    int slashes = 0;
    while (start > path) {
        if (start[-1] == '/' && ++slashes == 2)
            break;
        start--;
    }
    return start;
}

char *
RowText_location(const Symtab *symtab, const AggRow *row, AggMode mode)
{
    const char *file = Symtab_string(symtab, row->file);
    if (!file[0])
        return xstrdup("");
    const char *start = RowText_short_path(file);
    if (mode == AGG_BY_LINE || row->line)
        return xasprintf("%s:%u", start, row->line);
    return xstrdup(start);
}

const char *
RowText_sort_name(AggSort sort)
{
    switch (sort) {
    case AGG_SORT_OWN_PCT:
        return "%Own";
    case AGG_SORT_TOTAL_PCT:
        return "%Total";
    case AGG_SORT_OWN_TIME:
        return "OwnTime";
    case AGG_SORT_TOTAL_TIME:
        return "TotalTime";
    case AGG_SORT_NAME:
        return "Function";
    case AGG_SORT_COUNT:
        break;
    }
    return "?";
}
