#include "config.h"

#include <curses.h>

#include "panels.h"
#include "terminal.h"
#include "text.h"

static const char *const help_lines[] = {
    "Keys",
    "  q, F10, Ctrl-C   quit (the target is detached first and runs on)",
    "  ?, h, F1         this help; Esc or ? to leave it",
    "  space            pause the display (sampling goes on)",
    "  1 2 3 4          sort by %Own, %Total, OwnTime, TotalTime;  < >  previous/next column",
    "  l                functions <-> source lines",
    "  t                threads panel: Enter on a thread shows only it, on * all threads",
    "  i                include or exclude idle threads (not running: sleeping, waiting)",
    "  g                Python: only samples of the thread holding the GIL",
    "  w                percentage window: 1, 5, 10, 30, 60 seconds",
    "  /                filter rows by a substring of function, file or module (Enter)",
    "  Enter            callers and callees of the selected function;  Esc back",
    "  r                reset every count",
    "  Up Down (j k) PgUp PgDn Home End   move;  Esc, Left  back to the hot list",
    "  Ctrl-Z           suspend spytop (the target is detached while it is stopped)",
    "  Viewing a recording:  [ ]  move the range's start   { }  move its end",
    "                   0  the whole recording   p  play/pause   , .  seek 5 s back/forward",
    "",
    "What the figures mean",
    "  Every tick spytop samples each thread once. A thread sample is idle when the",
    "  thread was not running (state other than R); idle samples are left out unless",
    "  idle threads are included (i).",
    "  %Own    share of the thread samples in the window whose innermost frame is in",
    "          the function itself. The %Own column sums to 100 over all rows.",
    "  %Total  share of the thread samples in the window with the function anywhere on",
    "          the stack (once per stack, also under recursion).",
    "  OwnTime, TotalTime   thread time the same samples stand for, summed since the",
    "          start or the last reset (r): with 4 busy threads, 4 s per second.",
    "  stop    how long spytop held a thread stopped to copy its registers and stack.",
};

void
Help_draw(Screen *s, int top, int height, int width)
{
    (void)s;
    for (int i = 0; i < height; i++) {
        move(top + i, 0);
        clrtoeol();
        if ((size_t)i < sizeof(help_lines) / sizeof(help_lines[0])) {
            const char *line = help_lines[i];
            bool title = line[0] && line[0] != ' ';
            if (title)
                attron(A_BOLD);
            Text_draw(top + i, 0, line, width, 0);
            if (title)
                attroff(A_BOLD);
        }
    }
}
