#include "config.h"

#include <curses.h>

#include "panel.h"
#include "panels.h"
#include "terminal.h"
#include "text.h"
#include "util.h"

/* Each line fits in 79 columns, so an 80-column terminal cuts none. */
static const char *const help_lines[] = {
    "Keys",
    "  q, F10, Ctrl-C   quit (the target is detached first and runs on)",
    "  ?, h, F1         this help; Esc or ? to leave it",
    "  space            pause the display (sampling goes on)",
    "  1 2 3 4, < >     sort by %Own, %Total, OwnTime, TotalTime; previous/next",
    "  l                functions <-> source lines",
    "  t                threads panel: Enter on a thread shows only it, * all",
    "  P                processes panel: Enter on a process shows only it, * all",
    "  i                include or exclude idle threads (sleeping, waiting)",
    "  g                Python: only samples of the thread holding the GIL",
    "  a                asyncio (3.14+): a running task also under its awaiters",
    "  w                percentage window: 1, 5, 10, 30, 60 seconds",
    "  /                filter rows by a substring of function, file or module:",
    "                   typed on the bottom line; Enter applies, Esc keeps the",
    "                   old filter, an empty filter shows every row",
    "  Enter, Right     callers and callees; Enter on one walks there, Left back",
    "  s                source of the function, with %Own and %Total per line",
    "  c                call tree (top-down): Enter, + - open and close, E C all",
    "  r                reset every count",
    "  Up Down j k PgUp PgDn Home End   move (here: scroll this help)",
    "  Esc, Left        back to the hot list",
    "  Ctrl-Z           suspend spytop (the target is detached while stopped)",
    "  Viewing a recording:",
    "  [ ]              move the range's start;  { }  move its end",
    "  0                the whole recording;  p  play/pause;  , .  seek 5 s",
    "",
    "What the figures mean",
    "  Every tick spytop samples each thread once. A thread sample is idle when",
    "  the thread was not running (state other than R); idle samples are left",
    "  out unless idle threads are included (i).",
    "  %Own    share of the thread samples in the window whose innermost frame",
    "          is in the function itself. The %Own column sums to 100 over all",
    "          rows.",
    "  %Total  share of the thread samples in the window with the function",
    "          anywhere on the stack (once per stack, also under recursion).",
    "  OwnTime, TotalTime   thread time the same samples stand for (running or",
    "          runnable: waiting for a core counts), summed since the start or",
    "          the last reset (r): with 4 busy threads, 4 s per second.",
    "  stop    how long spytop held a thread stopped to copy its registers and",
    "          stack.",
};

#define HELP_LINES ((int)ARRAY_SIZE(help_lines))

void
Help_draw(Screen *s, int top, int height, int width)
{
    s->help_height = height;
    int max_top = HELP_LINES - height > 0 ? HELP_LINES - height : 0;
    if (s->help_top > max_top)
        s->help_top = max_top;
    for (int i = 0; i < height; i++) {
        move(top + i, 0);
        clrtoeol();
        int index = s->help_top + i;
        if (index < HELP_LINES) {
            const char *line = help_lines[index];
            bool title = line[0] && line[0] != ' ';
            if (title)
                attron(A_BOLD);
            Text_draw(top + i, 0, line, width, 0);
            if (title)
                attroff(A_BOLD);
        }
    }
}

bool
Help_more_below(const Screen *s)
{
    return s->help_top + s->help_height < HELP_LINES;
}

bool
Help_key(Screen *s, int key)
{
    int max_top = HELP_LINES - s->help_height > 0 ? HELP_LINES - s->help_height : 0;
    return Panel_move(key, max_top + 1, s->help_height - 1, &s->help_top);
}
