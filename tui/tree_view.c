/* The tree panel: the top-down call tree (perf report's), each node with
 * %Total (samples through it) and %Self (ending in it), open and closed by
 * key; at first the hottest path is open, the cursor at its end. */
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

/* "%Total  %Self  " */
#define GUTTER 15

static size_t
find_open(const Screen *s, uint64_t path)
{
    for (size_t i = 0; i < s->ntree_open; i++)
        if (s->tree_open[i] == path)
            return i;
    return SIZE_MAX;
}

static bool
is_open(const Screen *s, const CallNode *n)
{
    return n->first_child != CALLTREE_NONE && find_open(s, n->path) != SIZE_MAX;
}

static void
set_open(Screen *s, const CallNode *n, bool open)
{
    size_t i = find_open(s, n->path);
    if (open && i == SIZE_MAX && n->first_child != CALLTREE_NONE) {
        s->tree_open = xgrow(s->tree_open, &s->tree_open_cap, s->ntree_open + 1, sizeof(uint64_t));
        s->tree_open[s->ntree_open++] = n->path;
    } else if (!open && i != SIZE_MAX) {
        s->tree_open[i] = s->tree_open[--s->ntree_open];
    }
}

/* The rows on view: the nodes under open ones, depth first; the cursor's
 * row found again by its node's path. */
static void
collect(Screen *s)
{
    const CallTree *t = &s->tree;
    s->ntree_rows = 0;
    uint32_t n = t->count > 1 ? t->nodes[0].first_child : CALLTREE_NONE;
    while (n != CALLTREE_NONE) {
        s->tree_rows = xgrow(s->tree_rows, &s->tree_rows_cap, s->ntree_rows + 1, sizeof(uint32_t));
        s->tree_rows[s->ntree_rows++] = n;
        if (is_open(s, &t->nodes[n])) {
            n = t->nodes[n].first_child;
            continue;
        }
        while (n != 0 && t->nodes[n].next_sibling == CALLTREE_NONE)
            n = t->nodes[n].parent;
        n = n == 0 ? CALLTREE_NONE : t->nodes[n].next_sibling;
    }
    for (size_t i = 0; i < s->ntree_rows; i++)
        if (t->nodes[s->tree_rows[i]].path == s->tree_cursor) {
            s->tree_cursor_row = (int)i;
            return;
        }
    if (s->tree_cursor_row >= (int)s->ntree_rows)
        s->tree_cursor_row = (int)s->ntree_rows - 1;
    if (s->tree_cursor_row < 0)
        s->tree_cursor_row = 0;
    if (s->ntree_rows)
        s->tree_cursor = t->nodes[s->tree_rows[s->tree_cursor_row]].path;
}

/* Opens the hottest path and puts the cursor at its end. */
static void
place(Screen *s)
{
    const CallTree *t = &s->tree;
    uint32_t n = t->nodes[0].first_child, last = n;
    while (n != CALLTREE_NONE) {
        set_open(s, &t->nodes[n], true);
        last = n;
        n = t->nodes[n].first_child;
    }
    s->tree_cursor = t->nodes[last].path;
    s->tree_placed = true;
}

static void
draw_row(Screen *s, int y, int width, const CallNode *n, uint64_t whole, bool selected)
{
    int attr = selected ? Terminal_attr(COLOR_PAIR_SELECTED) : (int)A_NORMAL;
    attron(attr);
    if (selected)
        mvhline(y, 0, ' ', width);
    char cells[32];
    snprintf(cells, sizeof(cells), "%6.1f %6.1f  ", RowText_percent(n->total, whole),
             RowText_percent(n->self, whole));
    mvaddstr(y, 0, cells);
    /* Indented two columns a level, up to half the room; deeper levels
     * say their depth. */
    int room = width - GUTTER;
    int indent = (int)n->depth * 2;
    char *fn = RowText_function(s->symtab, n->function, n->module);
    const char *mark = n->first_child == CALLTREE_NONE ? "  " : is_open(s, n) ? "- " : "+ ";
    char *text;
    if (indent > room / 2) {
        indent = room / 2;
        text = xasprintf("[%u] %s%s", n->depth, mark, fn);
    } else {
        text = xasprintf("%s%s", mark, fn);
    }
    char *line = n->module != SYMTAB_EMPTY
                     ? xasprintf("%s  [%s]", text, RowText_module(s->symtab, n->module))
                     : xstrdup(text);
    Text_draw(y, GUTTER + indent, line, room - indent, 0);
    free(line);
    free(text);
    free(fn);
    attroff(attr);
}

void
Tree_view_draw(Screen *s, int top, int height, int width)
{
    for (int y = top; y < top + height; y++) {
        move(y, 0);
        clrtoeol();
    }
    if (height < 3)
        return;
    /* Paused, the figures stay as they were. */
    if (!s->paused || s->tree.count == 0)
        CallTree_build(&s->tree, s->agg, s->symtab, &s->query);
    if (!s->tree_placed && s->tree.count > 1)
        place(s);
    collect(s);
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(top, 0, ' ', width);
    Text_draw(top, 1, "Call tree, top-down: shares of the window's samples", width - 2, 0);
    mvhline(top + 1, 0, ' ', width);
    mvaddstr(top + 1, 0, "%Total  %Self  Function");
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
    int shown = height - 2;
    s->tree_height = shown;
    if (s->ntree_rows == 0) {
        mvaddstr(top + 2, 2, "(no samples in the window yet)");
        return;
    }
    Panel_scroll(s->tree_cursor_row, shown, &s->tree_scroll);
    uint64_t whole = s->tree.nodes[0].total;
    for (int i = 0; i < shown && s->tree_scroll + i < (int)s->ntree_rows; i++) {
        int row = s->tree_scroll + i;
        draw_row(s, top + 2 + i, width, &s->tree.nodes[s->tree_rows[row]], whole,
                 row == s->tree_cursor_row);
    }
}

bool
Tree_view_key(Screen *s, int key)
{
    if (s->ntree_rows == 0)
        return false;
    int row = s->tree_cursor_row;
    if (Panel_move(key, (int)s->ntree_rows, s->tree_height - 1, &row)) {
        s->tree_cursor_row = row;
        s->tree_cursor = s->tree.nodes[s->tree_rows[row]].path;
        return true;
    }
    const CallNode *n = &s->tree.nodes[s->tree_rows[row]];
    switch (key) {
    case '\n':
    case '\r':
    case KEY_ENTER:
        set_open(s, n, !is_open(s, n));
        break;
    case KEY_RIGHT:
    case '+':
        set_open(s, n, true);
        break;
    case KEY_LEFT:
    case '-':
        if (is_open(s, n))
            set_open(s, n, false);
        else if (n->parent != 0 && n->parent != CALLTREE_NONE)
            s->tree_cursor = s->tree.nodes[n->parent].path;
        break;
    case 'E':
        /* Every node open, as perf report's E. */
        for (size_t i = 1; i < s->tree.count; i++)
            set_open(s, &s->tree.nodes[i], true);
        break;
    case 'C':
        /* Every node closed: the cursor goes to its top-level node. */
        while (n->parent != 0 && n->parent != CALLTREE_NONE)
            n = &s->tree.nodes[n->parent];
        s->tree_cursor = n->path;
        s->ntree_open = 0;
        break;
    case 's': {
        char *name = RowText_function(s->symtab, n->function, n->module);
        Source_view_open(s, n->key, name, PANEL_TREE);
        free(name);
        return true;
    }
    default:
        return false;
    }
    collect(s);
    return true;
}

void
Tree_view_done(Screen *s)
{
    CallTree_done(&s->tree);
    free(s->tree_open);
    free(s->tree_rows);
    s->tree_open = NULL;
    s->tree_rows = NULL;
    s->ntree_open = s->tree_open_cap = s->ntree_rows = s->tree_rows_cap = 0;
}
