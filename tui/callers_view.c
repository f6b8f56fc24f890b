/* The callers panel: callers and callees of one function, a cursor over
 * them, and a walk from function to function (Enter) that Left retraces. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel.h"
#include "panels.h"
#include "rowtext.h"
#include "terminal.h"
#include "text.h"
#include "util.h"

#define KEY_CTRL(c) ((c)&0x1f)

/* Lines of the panel other than link rows (which are numbered from 0). */
enum {
    LINE_CALLERS_TITLE = -1,
    LINE_CALLEES_TITLE = -2,
    LINE_BLANK = -3,
    LINE_NONE = -4,
};

static WalkStep *
focus(Screen *s)
{
    return &s->walk[s->nwalk - 1];
}

/* Reads the focus's callers and callees into s->link_rows; returns the
 * number of callers (the rest are callees). */
static size_t
load_links(Screen *s)
{
    const AggLink *callers, *callees;
    size_t ncallers, ncallees;
    Aggregator_links(s->agg, &s->query, focus(s)->key, &callers, &ncallers, &callees, &ncallees);
    size_t n = ncallers + ncallees;
    s->link_rows = xgrow(s->link_rows, &s->link_rows_cap, n ? n : 1, sizeof(AggLink));
    if (ncallers)
        memcpy(s->link_rows, callers, ncallers * sizeof(AggLink));
    if (ncallees)
        memcpy(s->link_rows + ncallers, callees, ncallees * sizeof(AggLink));
    s->nlink_rows = n;
    s->nlink_callers = ncallers;
    s->links_of = focus(s)->key;
    return ncallers;
}

static void
push(Screen *s, uint64_t key, char *name)
{
    if (s->nwalk == WALK_MAX) {
        /* The oldest step goes. */
        free(s->walk[0].name);
        memmove(&s->walk[0], &s->walk[1], (WALK_MAX - 1) * sizeof(WalkStep));
        s->nwalk--;
    }
    if (s->nwalk)
        focus(s)->cursor = s->link_cursor;
    s->walk[s->nwalk++] = (WalkStep){key, name, 0};
    s->link_cursor = s->link_scroll = 0;
}

void
Callers_view_open(Screen *s, uint64_t key, const char *name)
{
    Callers_view_done(s);
    push(s, key, xstrdup(name));
}

uint64_t
Callers_view_focus(const Screen *s, const char **name)
{
    if (s->nwalk == 0)
        return 0;
    *name = s->walk[s->nwalk - 1].name;
    return s->walk[s->nwalk - 1].key;
}

void
Callers_view_done(Screen *s)
{
    for (int i = 0; i < s->nwalk; i++)
        free(s->walk[i].name);
    s->nwalk = 0;
    s->link_cursor = s->link_scroll = 0;
}

bool
Callers_view_key(Screen *s, int key, bool *leave)
{
    *leave = false;
    if (s->nwalk == 0) {
        *leave = true;
        return false;
    }
    if (Panel_move(key, (int)s->nlink_rows, LINES - 10, &s->link_cursor))
        return true;
    switch (key) {
    case '\n':
    case '\r':
    case KEY_ENTER:
    case KEY_RIGHT: {
        if (!s->agg)
            return true;
        if (s->links_of != focus(s)->key)
            load_links(s);
        if (s->link_cursor < 0 || (size_t)s->link_cursor >= s->nlink_rows)
            return true;
        const AggLink *l = &s->link_rows[s->link_cursor];
        if (l->key == 0)
            return true; /* (thread start), (self) */
        push(s, l->key, RowText_function(s->symtab, l->function, l->module));
        load_links(s);
        return true;
    }
    case KEY_LEFT:
    case KEY_BACKSPACE:
    case 127:
    case KEY_CTRL('h'):
        free(focus(s)->name);
        s->nwalk--;
        if (s->nwalk == 0) {
            *leave = true;
            return true;
        }
        s->link_cursor = focus(s)->cursor;
        s->link_scroll = 0;
        if (s->agg)
            load_links(s);
        return true;
    default:
        return false;
    }
}

/* "Walk: main > outer > inner", its start left out when too long. */
static void
draw_path(Screen *s, int y, int width)
{
    int room = width - 2;
    const char *more = "... > ";
    size_t len = strlen(focus(s)->name);
    int first = s->nwalk - 1;
    while (first > 0 &&
           len + strlen(s->walk[first - 1].name) + 3 + strlen(more) + 6 <= (size_t)room) {
        first--;
        len += strlen(s->walk[first].name) + 3;
    }
    char *path = xasprintf("Walk: %s", first > 0 ? more : "");
    for (int i = first; i < s->nwalk; i++) {
        char *next = xasprintf("%s%s%s", path, s->walk[i].name, i + 1 < s->nwalk ? " > " : "");
        free(path);
        path = next;
    }
    attron(A_BOLD);
    Text_draw(y, 1, path, room, 0);
    attroff(A_BOLD);
    free(path);
}

static void
draw_title(int y, int width, const char *title)
{
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(y, 0, ' ', width);
    Text_draw(y, 1, title, width - 2, 0);
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
}

static void
draw_link(Screen *s, int y, int width, const AggLink *l, uint64_t whole, bool selected)
{
    int attr = selected ? Terminal_attr(COLOR_PAIR_SELECTED) : (int)A_NORMAL;
    attron(attr);
    if (selected)
        mvhline(y, 0, ' ', width);
    char pct[16];
    snprintf(pct, sizeof(pct), "%6.1f%%  ", RowText_percent(l->samples, whole));
    mvaddstr(y, 0, pct);
    char *fn = RowText_function(s->symtab, l->function, l->module);
    char *line = l->module != SYMTAB_EMPTY
                     ? xasprintf("%s  [%s]", fn, RowText_module(s->symtab, l->module))
                     : xstrdup(fn);
    Text_draw(y, 9, line, width - 9, 0);
    free(line);
    free(fn);
    attroff(attr);
}

void
Callers_view_draw(Screen *s, int top, int height, int width)
{
    int bottom = top + height;
    for (int y = top; y < bottom; y++) {
        move(y, 0);
        clrtoeol();
    }
    if (s->nwalk == 0 || height < 2)
        return;
    /* Paused, the figures stay as they were (a new focus is read once). */
    if (!s->paused || s->links_of != focus(s)->key || !s->link_rows)
        load_links(s);
    size_t ncallers = s->nlink_callers;
    size_t ncallees = s->nlink_rows - ncallers;
    uint64_t whole = 0;
    for (size_t i = 0; i < ncallers; i++)
        whole += s->link_rows[i].samples;
    if (s->link_cursor >= (int)s->nlink_rows)
        s->link_cursor = s->nlink_rows ? (int)s->nlink_rows - 1 : 0;
    draw_path(s, top, width);

    /* The panel's lines, of which a window around the cursor is shown. */
    size_t nlines = s->nlink_rows + 5;
    int *lines = xcalloc(nlines, sizeof(int));
    int n = 0, cursor_line = 0;
    lines[n++] = LINE_CALLERS_TITLE;
    if (ncallers == 0)
        lines[n++] = LINE_NONE;
    for (size_t i = 0; i < s->nlink_rows; i++) {
        if (i == ncallers) {
            lines[n++] = LINE_BLANK;
            lines[n++] = LINE_CALLEES_TITLE;
        }
        if ((int)i == s->link_cursor)
            cursor_line = n;
        lines[n++] = (int)i;
    }
    if (ncallees == 0) {
        lines[n++] = LINE_BLANK;
        lines[n++] = LINE_CALLEES_TITLE;
        lines[n++] = LINE_NONE;
    }
    int shown = height - 1;
    /* The callers' title stays in view while the cursor is on the first. */
    if (cursor_line == 1)
        cursor_line = 0;
    Panel_scroll(cursor_line, shown, &s->link_scroll);
    if (s->link_scroll > 0 && s->link_scroll > n - shown)
        s->link_scroll = n - shown > 0 ? n - shown : 0;
    char *title;
    for (int i = 0; i < shown && s->link_scroll + i < n; i++) {
        int y = top + 1 + i;
        int line = lines[s->link_scroll + i];
        switch (line) {
        case LINE_CALLERS_TITLE:
            title = xasprintf("Callers of %s (share of its samples in the window)", focus(s)->name);
            draw_title(y, width, title);
            free(title);
            break;
        case LINE_CALLEES_TITLE:
            title =
                xasprintf("Callees of %s (share of its samples; (self): in it)", focus(s)->name);
            draw_title(y, width, title);
            free(title);
            break;
        case LINE_BLANK:
            break;
        case LINE_NONE:
            mvaddstr(y, 4, "(none in the window)");
            break;
        default:
            draw_link(s, y, width, &s->link_rows[line], whole, line == s->link_cursor);
            break;
        }
    }
    free(lines);
}
