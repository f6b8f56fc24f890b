#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "choice_list.h"
#include "panel.h"
#include "panels.h"
#include "rowtext.h"
#include "text.h"

/* Row 0 is "all processes"; row i > 0 is process i - 1. */
static size_t
process_rows(Screen *s, const AggProcess **processes)
{
    return Aggregator_processes(s->agg, &s->query, processes) + 1;
}

typedef struct ProcessRows {
    Screen *s;
    const AggProcess *procs;
    uint64_t window_total;
} ProcessRows;

static void
draw_process(void *arg, int y, size_t index, int width)
{
    const ProcessRows *rows = arg;
    Screen *s = rows->s;
    const AggProcess *p = &rows->procs[index - 1];
    char cells[96], cpu[16];
    if (p->gone)
        snprintf(cpu, sizeof(cpu), "%6s", "exited");
    else if (p->cpu_pct >= 0)
        snprintf(cpu, sizeof(cpu), "%6.1f", p->cpu_pct);
    else
        snprintf(cpu, sizeof(cpu), "%6s", "-");
    snprintf(cells, sizeof(cells), "%8d %4zu %s  %6.1f%%  ", (int)p->pid, p->threads, cpu,
             RowText_percent(p->window_samples, rows->window_total));
    mvaddstr(y, 0, cells);
    int x = (int)strlen(cells);
    char *fn = RowText_function(s->symtab, p->hot_function, p->hot_module);
    Text_draw(y, x, p->hot_function || p->hot_module ? fn : "", 24, 1);
    free(fn);
    x += 26;
    if (width > x)
        Text_draw(y, x, p->command != SYMTAB_EMPTY ? Symtab_string(s->symtab, p->command) : "?",
                  width - x, 0);
}

void
Processes_view_draw(Screen *s, int top, int height, int width)
{
    ProcessRows rows = {.s = s};
    size_t n = process_rows(s, &rows.procs);
    size_t current = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        rows.window_total += rows.procs[i].window_samples;
        if (rows.procs[i].pid == s->query.pid)
            current = i + 1;
    }
    ChoiceList list = {
        .heads = "     PID  Thr   CPU%  Samples  Hottest function          Command",
        .all_label = "       *  (all processes, merged)",
        .count = n,
        .current = current,
        .draw_row = draw_process,
        .arg = &rows,
    };
    ChoiceList_draw(&list, top, height, width, &s->process_selected, &s->process_scroll);
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
