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

/* Row 0 is "all processes"; row i > 0 is process i - 1. */
static size_t
process_rows(Screen *s, const AggProcess **processes)
{
    return Aggregator_processes(s->agg, &s->query, processes) + 1;
}

void
Processes_view_draw(Screen *s, int top, int height, int width)
{
    const AggProcess *procs;
    size_t n = process_rows(s, &procs);
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(top, 0, ' ', width);
    mvaddstr(top, 0, "     PID  Thr   CPU%  Samples  Hottest function          Command");
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
    int rows_h = height - 1;
    if (s->process_selected >= (int)n)
        s->process_selected = (int)n - 1;
    Panel_scroll(s->process_selected, rows_h, &s->process_scroll);
    uint64_t window_total = 0;
    for (size_t i = 0; i + 1 < n; i++)
        window_total += procs[i].window_samples;
    for (int i = 0; i < rows_h; i++) {
        int y = top + 1 + i;
        move(y, 0);
        clrtoeol();
        size_t index = (size_t)(s->process_scroll + i);
        if (index >= n)
            continue;
        bool selected = (int)index == s->process_selected;
        bool current = index == 0 ? s->query.pid == 0 : procs[index - 1].pid == s->query.pid;
        int attr =
            selected ? Terminal_attr(COLOR_PAIR_SELECTED) : (current ? (int)A_BOLD : (int)A_NORMAL);
        attron(attr);
        if (selected)
            mvhline(y, 0, ' ', width);
        if (index == 0) {
            mvaddstr(y, 0, "       *  (all processes, merged)");
            attroff(attr);
            continue;
        }
        const AggProcess *p = &procs[index - 1];
        char cells[96], cpu[16];
        if (p->gone)
            snprintf(cpu, sizeof(cpu), "%6s", "exited");
        else if (p->cpu_pct >= 0)
            snprintf(cpu, sizeof(cpu), "%6.1f", p->cpu_pct);
        else
            snprintf(cpu, sizeof(cpu), "%6s", "-");
        snprintf(cells, sizeof(cells), "%8d %4zu %s  %6.1f%%  ", (int)p->pid, p->threads, cpu,
                 RowText_percent(p->window_samples, window_total));
        mvaddstr(y, 0, cells);
        int x = (int)strlen(cells);
        char *fn = RowText_function(s->symtab, p->hot_function, p->hot_module);
        Text_draw(y, x, p->hot_function || p->hot_module ? fn : "", 24, 1);
        free(fn);
        x += 26;
        if (width > x)
            Text_draw(y, x, p->command != SYMTAB_EMPTY ? Symtab_string(s->symtab, p->command) : "?",
                      width - x, 0);
        attroff(attr);
    }
}

bool
Processes_view_key(Screen *s, int key)
{
    const AggProcess *procs;
    size_t n = process_rows(s, &procs);
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        s->query.pid = s->process_selected <= 0 || (size_t)s->process_selected >= n
                           ? 0
                           : procs[s->process_selected - 1].pid;
        s->query.tid = 0; /* a thread of another process would show nothing */
        s->selected = s->scroll = 0;
        return true;
    }
    Panel_move(key, (int)n, LINES - 8, &s->process_selected);
    return false;
}
