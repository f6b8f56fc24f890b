/* The source panel: one function's source file with the share of the
 * window's samples on each line (%Own: the line was running; %Total: it
 * was on the stack), placed at its hottest line. A file that cannot be read
 * is named with the reason, and the counted lines are listed without text. */
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

/* "  %Own %Total  Line  " */
#define GUTTER 22

void
Source_view_done(Screen *s)
{
    free(s->source_name);
    s->source_name = NULL;
    SourceFile_delete(s->source_file);
    s->source_file = NULL;
    free(s->source_error);
    s->source_error = NULL;
    s->source_file_id = SYMTAB_EMPTY;
    LineCounts_done(&s->source_counts);
}

void
Source_view_open(Screen *s, uint64_t key, const char *name, ScreenPanel back)
{
    Source_view_done(s);
    s->source_key = key;
    s->source_name = xstrdup(name);
    s->source_back = back;
    s->source_top = 0;
    s->source_counted = false;
    s->panel = PANEL_SOURCE;
}

/* Reads the counts' file when it changed: as named, else (a live target in
 * another mount namespace) under /proc/PID/root. */
static void
load_file(Screen *s)
{
    StrId id = s->source_counts.file;
    if (id == s->source_file_id)
        return;
    SourceFile_delete(s->source_file);
    s->source_file = NULL;
    free(s->source_error);
    s->source_error = NULL;
    s->source_file_id = id;
    if (id == SYMTAB_EMPTY)
        return;
    const char *path = Symtab_string(s->symtab, id);
    s->source_file = SourceFile_load(path, &s->source_error);
    if (!s->source_file && path[0] == '/' && !s->status.timeline && s->status.pid > 0 &&
        !s->status.exited) {
        char *root = xasprintf("/proc/%d/root%s", (int)s->status.pid, path);
        char *cause = NULL;
        s->source_file = SourceFile_load(root, &cause);
        free(cause);
        free(root);
        if (s->source_file) {
            free(s->source_error);
            s->source_error = NULL;
        }
    }
}

/* Rows the panel scrolls over: the file's lines, or the counted lines. */
static int
row_count(const Screen *s)
{
    return s->source_file ? (int)SourceFile_line_count(s->source_file)
                          : (int)s->source_counts.count;
}

static const LineCount *
counts_of(const Screen *s, uint32_t line)
{
    const LineCounts *lc = &s->source_counts;
    size_t lo = 0, hi = lc->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lc->lines[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < lc->count && lc->lines[lo].line == line ? &lc->lines[lo] : NULL;
}

/* The row of the line with the most samples on the stack. */
static int
hottest_row(const Screen *s)
{
    const LineCounts *lc = &s->source_counts;
    size_t best = 0;
    for (size_t i = 1; i < lc->count; i++)
        if (lc->lines[i].total > lc->lines[best].total ||
            (lc->lines[i].total == lc->lines[best].total && lc->lines[i].own > lc->lines[best].own))
            best = i;
    if (!s->source_file)
        return (int)best;
    return lc->lines[best].line ? (int)lc->lines[best].line - 1 : 0;
}

static void
draw_line(Screen *s, int y, int width, const LineCount *c, uint32_t line, const char *text)
{
    char gutter[64];
    uint64_t whole = s->source_counts.window;
    double total = c ? RowText_percent(c->total, whole) : 0;
    if (c && (c->own || c->total))
        snprintf(gutter, sizeof(gutter), "%6.1f %6.1f %6u  ", RowText_percent(c->own, whole), total,
                 line);
    else
        snprintf(gutter, sizeof(gutter), "%6s %6s %6u  ", "", "", line);
    int attr = total >= 10.0 ? Terminal_attr(COLOR_PAIR_HOT) : (int)A_NORMAL;
    attron(attr);
    mvaddstr(y, 0, gutter);
    Text_draw(y, GUTTER, text, width - GUTTER, 0);
    attroff(attr);
}

static void
draw_title(int y, int width, const char *text)
{
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(y, 0, ' ', width);
    Text_draw(y, 1, text, width - 2, 0);
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
}

void
Source_view_draw(Screen *s, int top, int height, int width)
{
    for (int y = top; y < top + height; y++) {
        move(y, 0);
        clrtoeol();
    }
    if (height < 4 || !s->source_name)
        return;
    /* Paused, the figures stay as they were. */
    if (!s->paused || !s->source_counted) {
        LineCounts_build(&s->source_counts, s->agg, s->symtab, &s->query, s->source_key);
        s->source_counted = true;
    }
    load_file(s);
    const LineCounts *lc = &s->source_counts;
    char *text = xasprintf("Source of %s (on the stack in %.1f%% of the window's samples)",
                           s->source_name, RowText_percent(lc->function, lc->window));
    draw_title(top, width, text);
    free(text);
    /* The file, or why there is none. */
    if (s->source_error)
        text = xstrdup(s->source_error);
    else if (lc->file != SYMTAB_EMPTY)
        text = xstrdup(Symtab_string(s->symtab, lc->file));
    else if (lc->function)
        text = xasprintf("(no line information for %s: built without -g, or stripped)",
                         s->source_name);
    else
        text = xasprintf("(no samples of %s in the window)", s->source_name);
    attron(A_BOLD);
    Text_draw(top + 1, 1, text, width - 2, 0);
    attroff(A_BOLD);
    free(text);
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(top + 2, 0, ' ', width);
    mvaddstr(top + 2, 0, "  %Own %Total   Line  ");
    mvaddstr(top + 2, GUTTER, s->source_file ? "Source" : "(the lines with samples)");
    attroff(Terminal_attr(COLOR_PAIR_TITLE));

    int shown = height - 3;
    s->source_height = shown;
    int rows = row_count(s);
    if (s->source_top == 0 && lc->count) {
        /* Placed once, the hottest line a third down; then it is the user's. */
        int hot = hottest_row(s) - shown / 3;
        s->source_top = 1 + (hot > 0 ? hot : 0);
    }
    int first = s->source_top > 0 ? s->source_top - 1 : 0;
    if (first > rows - shown)
        first = rows - shown > 0 ? rows - shown : 0;
    if (s->source_top > 0)
        s->source_top = first + 1;
    for (int i = 0; i < shown && first + i < rows; i++) {
        int y = top + 3 + i;
        int row = first + i;
        if (s->source_file) {
            uint32_t line = (uint32_t)row + 1;
            draw_line(s, y, width, counts_of(s, line), line, SourceFile_line(s->source_file, line));
        } else {
            const LineCount *c = &lc->lines[row];
            draw_line(s, y, width, c, c->line, "");
        }
    }
}

bool
Source_view_key(Screen *s, int key, bool *leave)
{
    *leave = false;
    switch (key) {
    case KEY_LEFT:
    case KEY_BACKSPACE:
    case 127:
    case KEY_CTRL('h'):
    case 's':
        *leave = true;
        s->panel = s->source_back;
        return true;
    default:
        break;
    }
    int rows = row_count(s);
    int page = s->source_height > 1 ? s->source_height - 1 : 1;
    int max_first = rows - s->source_height > 0 ? rows - s->source_height : 0;
    int first = s->source_top > 0 ? s->source_top - 1 : 0;
    if (!Panel_move(key, max_first + 1, page, &first))
        return false;
    s->source_top = first + 1;
    return true;
}
