#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowtext.h"
#include "panel.h"
#include "panels.h"
#include "proc.h"
#include "terminal.h"
#include "text.h"

/* Row 0 is "all threads"; row i > 0 is thread i - 1. */
static size_t
thread_rows(Screen *s, const AggThread **threads)
{
    return Aggregator_threads(s->agg, &s->query, threads) + 1;
}

void
Threads_view_draw(Screen *s, int top, int height, int width)
{
    const AggThread *threads;
    size_t n = thread_rows(s, &threads);
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(top, 0, ' ', width);
    mvaddstr(top, 0,
             "     TID  Name                     State        CPU%  Samples  Hottest function");
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
    int rows_h = height - 1;
    if (s->thread_selected >= (int)n)
        s->thread_selected = (int)n - 1;
    Panel_scroll(s->thread_selected, rows_h, &s->thread_scroll);
    uint64_t window_total = 0;
    for (size_t i = 0; i + 1 < n; i++)
        window_total += threads[i].window_samples;
    for (int i = 0; i < rows_h; i++) {
        int y = top + 1 + i;
        move(y, 0);
        clrtoeol();
        size_t index = (size_t)(s->thread_scroll + i);
        if (index >= n)
            continue;
        bool selected = (int)index == s->thread_selected;
        bool current = index == 0 ? s->query.tid == 0 : threads[index - 1].tid == s->query.tid;
        int attr =
            selected ? Terminal_attr(COLOR_PAIR_SELECTED) : (current ? (int)A_BOLD : (int)A_NORMAL);
        attron(attr);
        if (selected)
            mvhline(y, 0, ' ', width);
        if (index == 0) {
            mvaddstr(y, 0, "       *  (all threads)");
            attroff(attr);
            continue;
        }
        const AggThread *t = &threads[index - 1];
        char cells[96], cpu[16];
        if (t->cpu_pct >= 0)
            snprintf(cpu, sizeof(cpu), "%5.1f", t->cpu_pct);
        else
            snprintf(cpu, sizeof(cpu), "%5s", "-");
        snprintf(cells, sizeof(cells), "%8d  ", (int)t->tid);
        mvaddstr(y, 0, cells);
        Text_draw(y, 10, Symtab_string(s->symtab, t->name), 24, 1);
        snprintf(cells, sizeof(cells), " %-11s %s  %6.1f%%  ",
                 t->gone ? "exited" : Proc_state_name(t->state), cpu,
                 RowText_percent(t->window_samples, window_total));
        mvaddstr(y, 34, cells);
        char *fn = RowText_function(s->symtab, t->hot_function, t->hot_module);
        Text_draw(y, 34 + (int)strlen(cells), t->hot_function || t->hot_module ? fn : "",
                  width - 34 - (int)strlen(cells), 0);
        free(fn);
        attroff(attr);
    }
}

bool
Threads_view_key(Screen *s, int key)
{
    const AggThread *threads;
    size_t n = thread_rows(s, &threads);
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        s->query.tid = s->thread_selected <= 0 || (size_t)s->thread_selected >= n
                           ? 0
                           : threads[s->thread_selected - 1].tid;
        s->selected = s->scroll = 0;
        return true;
    }
    Panel_move(key, (int)n, LINES - 8, &s->thread_selected);
    return false;
}
