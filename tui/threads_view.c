#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "choice_list.h"
#include "rowtext.h"
#include "panel.h"
#include "panels.h"
#include "proc.h"
#include "text.h"

/* Row 0 is "all threads"; row i > 0 is thread i - 1. */
static size_t
thread_rows(Screen *s, const AggThread **threads)
{
    return Aggregator_threads(s->agg, &s->query, threads) + 1;
}

typedef struct ThreadRows {
    Screen *s;
    const AggThread *threads;
    uint64_t window_total;
} ThreadRows;

static void
draw_thread(void *arg, int y, size_t index, int width)
{
    const ThreadRows *rows = arg;
    Screen *s = rows->s;
    const AggThread *t = &rows->threads[index - 1];
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
             RowText_percent(t->window_samples, rows->window_total));
    mvaddstr(y, 34, cells);
    char *fn = RowText_function(s->symtab, t->hot_function, t->hot_module);
    Text_draw(y, 34 + (int)strlen(cells), t->hot_function || t->hot_module ? fn : "",
              width - 34 - (int)strlen(cells), 0);
    free(fn);
}

void
Threads_view_draw(Screen *s, int top, int height, int width)
{
    ThreadRows rows = {.s = s};
    size_t n = thread_rows(s, &rows.threads);
    size_t current = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        rows.window_total += rows.threads[i].window_samples;
        if (rows.threads[i].tid == s->query.tid)
            current = i + 1;
    }
    ChoiceList list = {
        .heads = "     TID  Name                     State        CPU%  Samples  Hottest function",
        .all_label = "       *  (all threads)",
        .count = n,
        .current = current,
        .draw_row = draw_thread,
        .arg = &rows,
    };
    ChoiceList_draw(&list, top, height, width, &s->thread_selected, &s->thread_scroll);
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
