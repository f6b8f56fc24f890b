#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "rowtext.h"
#include "util.h"
#include "panels.h"
#include "terminal.h"
#include "text.h"

static int
draw_links(Screen *s, int y, int bottom, int width, const char *title, const AggLink *links,
           size_t n, uint64_t whole)
{
    if (y >= bottom)
        return y;
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(y, 0, ' ', width);
    Text_draw(y, 1, title, width - 2, 0);
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
    y++;
    if (n == 0 && y < bottom) {
        move(y, 0);
        clrtoeol();
        mvaddstr(y++, 4, "(none in the window)");
    }
    for (size_t i = 0; i < n && y < bottom; i++, y++) {
        move(y, 0);
        clrtoeol();
        char pct[16];
        snprintf(pct, sizeof(pct), "%6.1f%%  ", RowText_percent(links[i].samples, whole));
        mvaddstr(y, 0, pct);
        char *fn = RowText_function(s->symtab, links[i].function, links[i].module);
        char *line = links[i].module != SYMTAB_EMPTY
                         ? xasprintf("%s  [%s]", fn, RowText_module(s->symtab, links[i].module))
                         : xstrdup(fn);
        Text_draw(y, 9, line, width - 9, 0);
        free(line);
        free(fn);
    }
    return y;
}

void
Callers_view_draw(Screen *s, int top, int height, int width)
{
    const AggLink *callers, *callees;
    size_t ncallers, ncallees;
    Aggregator_links(s->agg, &s->query, s->link_key, &callers, &ncallers, &callees, &ncallees);
    uint64_t whole = 0;
    for (size_t i = 0; i < ncallers; i++)
        whole += callers[i].samples;
    int bottom = top + height;
    for (int y = top; y < bottom; y++) {
        move(y, 0);
        clrtoeol();
    }
    char *title = xasprintf("Callers of %s (share of its samples in the window)", s->link_name);
    int y = draw_links(s, top, bottom, width, title, callers, ncallers, whole);
    free(title);
    title = xasprintf("Callees of %s (share of its samples; (self) = in the function itself)",
                      s->link_name);
    draw_links(s, y + 1, bottom, width, title, callees, ncallees, whole);
    free(title);
}
