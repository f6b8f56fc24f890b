#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "rowtext.h"
#include "panel.h"
#include "panels.h"
#include "terminal.h"
#include "text.h"
#include "util.h"

/* Numeric columns: %Own %Total OwnTime TotalTime, each right-aligned in
 * its width and followed by one space; the sorted one is marked with '*'. */
static const int numeric_widths[] = {6, 7, 9, 10};
#define NUMERIC_WIDTH (6 + 7 + 9 + 10 + 4 + 1)

/* Below this width one column reads "function (file:line)", as py-spy's
 * does; from it on, function, location and module have a column each. */
#define WIDE_LAYOUT 100

static void
column_widths(int width, int *fn, int *loc, int *mod)
{
    int rest = width - NUMERIC_WIDTH;
    if (rest < 20)
        rest = 20;
    *mod = rest / 6;
    *loc = rest * 2 / 7;
    *fn = rest - *mod - *loc - 2;
}

static void
draw_titles(const Screen *s, int y, int width)
{
    const char *names[] = {"%Own", "%Total", "OwnTime", "TotalTime"};
    int fn, loc, mod;
    column_widths(width, &fn, &loc, &mod);
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(y, 0, ' ', width);
    int x = 0;
    for (int i = 0; i < 4; i++) {
        bool sorted = (int)s->query.sort == i;
        char cell[16];
        snprintf(cell, sizeof(cell), "%*s%c", numeric_widths[i] - 1, names[i], sorted ? '*' : ' ');
        mvaddstr(y, x, cell);
        x += numeric_widths[i] + 1;
    }
    x = NUMERIC_WIDTH;
    if (width < WIDE_LAYOUT) {
        mvaddstr(y, x,
                 s->query.mode == AGG_BY_LINE ? "Function (file:line), by line"
                                              : "Function (file:line)");
        attroff(Terminal_attr(COLOR_PAIR_TITLE));
        return;
    }
    mvaddstr(y, x, s->query.mode == AGG_BY_LINE ? "Function (by line)" : "Function");
    mvaddstr(y, x + fn + 1, "Location");
    mvaddstr(y, x + fn + loc + 2, "Module");
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
}

/* The narrow layout's one column: the function cut at its end so that
 * "(file:line)" stays whole, unless the location alone is too wide. */
static void
draw_narrow(int y, int x, int width, const char *fn, const char *loc)
{
    if (!loc[0]) {
        Text_draw(y, x, fn, width, 0);
        return;
    }
    char *tail = xasprintf(" (%s)", loc);
    wchar_t fitted[512];
    int tail_w = Text_fit(tail, 511, fitted, 512);
    int fn_w = width - tail_w;
    if (fn_w < 12) {
        char *all = xasprintf("%s%s", fn, tail);
        Text_draw(y, x, all, width, 0);
        free(all);
    } else {
        int used = Text_fit(fn, fn_w, fitted, 512);
        mvaddwstr(y, x, fitted);
        Text_draw(y, x + used, tail, width - used, 0);
    }
    free(tail);
}

void
Hotlist_view_draw(Screen *s, int top, int height, int width)
{
    draw_titles(s, top, width);
    int rows_h = height - 1;
    if (rows_h < 1)
        return;
    if (s->selected >= (int)s->nrows)
        s->selected = s->nrows ? (int)s->nrows - 1 : 0;
    Panel_scroll(s->selected, rows_h, &s->scroll);
    int fn_w, loc_w, mod_w;
    column_widths(width, &fn_w, &loc_w, &mod_w);
    for (int i = 0; i < rows_h; i++) {
        int y = top + 1 + i;
        move(y, 0);
        clrtoeol();
        size_t index = (size_t)(s->scroll + i);
        if (index >= s->nrows) {
            if (index == 0 && s->filter[0] && s->totals.window_samples > 0) {
                char *msg = xasprintf("(no function, file or module matches the filter \"%s\": "
                                      "/ then Enter clears it)",
                                      s->filter);
                Text_draw(y, 2, msg, width - 2, 0);
                free(msg);
            } else if (index == 0)
                Text_draw(y, 2,
                          s->query.include_idle || s->totals.window_idle == 0
                              ? "(no samples in the window yet)"
                              : "(no running thread in the window; press i to include idle "
                                "threads)",
                          width - 2, 0);
            continue;
        }
        const AggRow *r = &s->rows[index];
        double own = RowText_percent(r->own_window, s->totals.window_samples);
        double total = RowText_percent(r->total_window, s->totals.window_samples);
        char own_t[16], total_t[16], cells[64];
        RowText_time(r->own_ns, own_t, sizeof(own_t));
        RowText_time(r->total_ns, total_t, sizeof(total_t));
        snprintf(cells, sizeof(cells), "%*.1f %*.1f %*s %*s ", numeric_widths[0] - 1, own,
                 numeric_widths[1] - 1, total, numeric_widths[2] - 1, own_t, numeric_widths[3] - 1,
                 total_t);
        bool selected = (int)index == s->selected;
        int attr = selected ? Terminal_attr(COLOR_PAIR_SELECTED)
                            : (own >= 10.0 ? Terminal_attr(COLOR_PAIR_HOT) : (int)A_NORMAL);
        attron(attr);
        if (selected)
            mvhline(y, 0, ' ', width);
        mvaddstr(y, 0, cells);
        bool wide = width >= WIDE_LAYOUT;
        /* The wide layout has a module column: "??" alone then. */
        char *fn = RowText_function(s->symtab, r->function, wide ? SYMTAB_EMPTY : r->module);
        char *loc = RowText_location(s->symtab, r, s->query.mode);
        if (!wide) {
            draw_narrow(y, NUMERIC_WIDTH, width - NUMERIC_WIDTH, fn, loc);
            free(fn);
            free(loc);
            attroff(attr);
            continue;
        }
        Text_draw(y, NUMERIC_WIDTH, fn, fn_w, 0);
        Text_draw(y, NUMERIC_WIDTH + fn_w + 1, loc, loc_w, 0);
        Text_draw(y, NUMERIC_WIDTH + fn_w + loc_w + 2, RowText_module(s->symtab, r->module), mod_w,
                  0);
        free(fn);
        free(loc);
        attroff(attr);
    }
}
