#include "config.h"

#include "screen.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "rowtext.h"
#include "panel.h"
#include "panels.h"
#include "terminal.h"
#include "text.h"
#include "util.h"

#define KEY_CTRL(c) ((c)&0x1f)
#define KEY_ESC 27

static const unsigned windows_s[] = {1, 5, 10, 30, 60};

/* Re-reads the hot list from the aggregator, unless paused. */
static void
refresh_rows(Screen *s)
{
    if (s->paused && s->rows)
        return;
    const AggRow *rows;
    AggQuery q = s->query;
    q.filter = s->filter[0] ? s->filter : NULL;
    q.cumulative = s->status.timeline && s->status.timeline->cumulative(s->status.timeline->self);
    size_t n = Aggregator_query(s->agg, &q, &rows, &s->totals);
    if (n > s->rows_cap) {
        s->rows_cap = n;
        s->rows = xreallocarray(s->rows, n, sizeof(AggRow));
    }
    if (n)
        memcpy(s->rows, rows, n * sizeof(AggRow));
    s->nrows = n;
}

static void
draw_footer(Screen *s, int y, int width)
{
    static const char *const hints[] = {
        /* In parentheses: one string on two lines, not a missing comma (clang). */
        [PANEL_HOT] = (" q quit  ? help  space pause  1-4 sort  l lines  t threads  i idle  "
                       "g GIL  w window  / filter  Enter callers  s source  c tree  r reset"),
        [PANEL_THREADS] = " Enter show only this thread (* = all)  Esc back  q quit",
        [PANEL_PROCESSES] = " Enter show only this process (* = all, merged)  Esc back  q quit",
        [PANEL_CALLERS] =
            " Up Down move  Enter walk to it  Left back  s source  Esc hot list  q quit",
        [PANEL_HELP] = " Up Down PgUp PgDn scroll  Esc back  q quit",
        [PANEL_SOURCE] = " Up Down PgUp PgDn scroll  Left back  Esc hot list  q quit",
        [PANEL_TREE] =
            " Enter open/close  Right + open  Left - close  E C all  s source  c Esc back  q quit",
    };
    if (s->editing_filter) {
        /* The prompt where less and vim have theirs. */
        char line[FILTER_MAX + 64];
        snprintf(line, sizeof(line), "/%s", s->edit);
        move(y, 0);
        clrtoeol();
        attron(A_BOLD);
        wchar_t fitted[FILTER_MAX + 64];
        int used = Text_fit(line, width - 1, fitted, FILTER_MAX + 64);
        mvaddwstr(y, 0, fitted);
        attroff(A_BOLD);
        const char *hint = "  Enter apply, Esc cancel, empty clears";
        if (used + (int)strlen(hint) < width)
            mvaddstr(y, used, hint);
        return;
    }
    attron(Terminal_attr(COLOR_PAIR_BAR));
    mvhline(y, 0, ' ', width);
    mvaddnstr(y, 0, hints[s->panel], width);
    if (s->panel == PANEL_HELP && Help_more_below(s) && width > 70)
        mvaddstr(y, width - 15, "-- more below");
    attroff(Terminal_attr(COLOR_PAIR_BAR));
}

static void
draw(Screen *s)
{
    int height = LINES, width = COLS;
    if (height < 8 || width < 40) {
        erase();
        mvaddnstr(0, 0, "spytop: the terminal is too small (40x8 at least)", width);
        refresh();
        return;
    }
    s->query.cumulative =
        s->status.timeline && s->status.timeline->cumulative(s->status.timeline->self);
    int top = Header_draw(s, width);
    if (s->status.timeline)
        Timeline_view_draw(s, top++, width);
    int body = height - top - 1;
    switch (s->panel) {
    case PANEL_HOT:
        refresh_rows(s);
        Hotlist_view_draw(s, top, body, width);
        break;
    case PANEL_THREADS:
        Threads_view_draw(s, top, body, width);
        break;
    case PANEL_PROCESSES:
        Processes_view_draw(s, top, body, width);
        break;
    case PANEL_CALLERS:
        Callers_view_draw(s, top, body, width);
        break;
    case PANEL_HELP:
        Help_draw(s, top, body, width);
        break;
    case PANEL_SOURCE:
        Source_view_draw(s, top, body, width);
        break;
    case PANEL_TREE:
        Tree_view_draw(s, top, body, width);
        break;
    }
    draw_footer(s, height - 1, width);
    refresh();
}

static ConsumerAction
screen_update(void *self, const RunStatus *status, Aggregator *agg)
{
    Screen *s = self;
    s->agg = agg;
    s->status = *status;
    s->have_status = true;
    draw(s);
    return CONSUMER_CONTINUE;
}

static void
open_callers(Screen *s)
{
    if (s->nrows == 0 || s->selected < 0 || (size_t)s->selected >= s->nrows)
        return;
    const AggRow *r = &s->rows[s->selected];
    char *name = RowText_function(s->symtab, r->function, r->module);
    Callers_view_open(s, r->key, name);
    free(name);
    s->panel = PANEL_CALLERS;
}

/* The source of the selected row's function, or of the walk's focus. */
static void
open_source(Screen *s)
{
    if (s->panel == PANEL_CALLERS) {
        const char *name = NULL;
        uint64_t key = Callers_view_focus(s, &name);
        if (key)
            Source_view_open(s, key, name, PANEL_CALLERS);
        return;
    }
    if (s->nrows == 0 || s->selected < 0 || (size_t)s->selected >= s->nrows)
        return;
    const AggRow *r = &s->rows[s->selected];
    char *name = RowText_function(s->symtab, r->function, r->module);
    Source_view_open(s, r->key, name, PANEL_HOT);
    free(name);
}

static void
filter_key(Screen *s, int key)
{
    size_t len = strlen(s->edit);
    if (key == KEY_ESC) {
        s->editing_filter = false;
    } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        memcpy(s->filter, s->edit, sizeof(s->filter));
        s->editing_filter = false;
        s->selected = s->scroll = 0;
    } else if (key == KEY_BACKSPACE || key == 127 || key == KEY_CTRL('h')) {
        if (len)
            s->edit[len - 1] = '\0';
    } else if (key == KEY_CTRL('u')) {
        s->edit[0] = '\0';
    } else if (key >= 0x20 && key < 0x100 && key != 0x7f && len + 1 < sizeof(s->edit)) {
        s->edit[len] = (char)key;
        s->edit[len + 1] = '\0';
    }
}

static void
next_window(Screen *s)
{
    size_t i;
    for (i = 0; i < ARRAY_SIZE(windows_s); i++)
        if (windows_s[i] > s->query.window_s)
            break;
    s->query.window_s = windows_s[i % ARRAY_SIZE(windows_s)];
}

/* One key. Returns CONSUMER_QUIT or CONSUMER_SUSPEND to end or stop the session. */
static ConsumerAction
handle_key(Screen *s, int key)
{
    if (s->editing_filter) {
        filter_key(s, key);
        return CONSUMER_CONTINUE;
    }
    if (s->panel == PANEL_CALLERS) {
        bool leave;
        bool used = Callers_view_key(s, key, &leave);
        if (leave)
            s->panel = PANEL_HOT;
        if (used)
            return CONSUMER_CONTINUE;
    }
    if (s->panel == PANEL_SOURCE) {
        bool leave;
        if (Source_view_key(s, key, &leave))
            return CONSUMER_CONTINUE;
    }
    if (s->panel == PANEL_TREE && Tree_view_key(s, key))
        return CONSUMER_CONTINUE;
    switch (key) {
    case 'q':
    case 'Q':
    case KEY_F(10):
    case KEY_CTRL('c'):
        return CONSUMER_QUIT;
    case KEY_CTRL('z'):
        return CONSUMER_SUSPEND;
    case KEY_RESIZE:
        return CONSUMER_CONTINUE;
    case KEY_ESC:
    case KEY_LEFT:
        s->panel = PANEL_HOT;
        return CONSUMER_CONTINUE;
    case '?':
    case 'h':
    case KEY_F(1):
        s->panel = s->panel == PANEL_HELP ? PANEL_HOT : PANEL_HELP;
        s->help_top = 0;
        return CONSUMER_CONTINUE;
    case 't':
        s->panel = s->panel == PANEL_THREADS ? PANEL_HOT : PANEL_THREADS;
        return CONSUMER_CONTINUE;
    case 'P':
        s->panel = s->panel == PANEL_PROCESSES ? PANEL_HOT : PANEL_PROCESSES;
        return CONSUMER_CONTINUE;
    case 'c':
        s->panel = s->panel == PANEL_TREE ? PANEL_HOT : PANEL_TREE;
        return CONSUMER_CONTINUE;
    case ' ':
        s->paused = !s->paused;
        return CONSUMER_CONTINUE;
    case 'l':
        s->query.mode = s->query.mode == AGG_BY_LINE ? AGG_BY_FUNCTION : AGG_BY_LINE;
        s->selected = s->scroll = 0;
        s->paused = false;
        return CONSUMER_CONTINUE;
    case 'a':
        if (s->status.replay)
            break; /* a recording keeps the stacks it was made with */
        s->async_on = !s->async_on;
        s->paused = false;
        return CONSUMER_CONTINUE;
    case 'i':
        s->query.include_idle = !s->query.include_idle;
        s->paused = false;
        return CONSUMER_CONTINUE;
    case 'w':
        next_window(s);
        return CONSUMER_CONTINUE;
    case 'g':
        s->query.gil_only = !s->query.gil_only;
        s->paused = false;
        return CONSUMER_CONTINUE;
    case 'r':
        Aggregator_reset(s->agg);
        s->paused = false;
        return CONSUMER_CONTINUE;
    case '/':
        /* A new filter each time, as less and vim do: typing does not
         * append to the old one, and Esc keeps it. */
        s->editing_filter = true;
        s->edit[0] = '\0';
        return CONSUMER_CONTINUE;
    case '1':
    case '2':
    case '3':
    case '4':
        s->query.sort = (AggSort)(key - '1');
        s->paused = false;
        return CONSUMER_CONTINUE;
    case '<':
        s->query.sort = (AggSort)((s->query.sort + 3) % 4);
        s->paused = false;
        return CONSUMER_CONTINUE;
    case '>':
        s->query.sort = (AggSort)((s->query.sort + 1) % 4);
        s->paused = false;
        return CONSUMER_CONTINUE;
    default:
        if (s->status.timeline && Timeline_view_key(s, key)) {
            s->paused = false;
            return CONSUMER_CONTINUE;
        }
        break;
    }
    switch (s->panel) {
    case PANEL_HOT:
        if (key == '\n' || key == '\r' || key == KEY_ENTER || key == KEY_RIGHT)
            open_callers(s);
        else if (key == 's')
            open_source(s);
        else
            Panel_move(key, (int)s->nrows, LINES - 8, &s->selected);
        break;
    case PANEL_THREADS:
        if (Threads_view_key(s, key))
            s->panel = PANEL_HOT;
        break;
    case PANEL_PROCESSES:
        if (Processes_view_key(s, key))
            s->panel = PANEL_HOT;
        break;
    case PANEL_HELP:
        Help_key(s, key);
        break;
    case PANEL_CALLERS:
        if (key == 's')
            open_source(s);
        break;
    case PANEL_SOURCE:
    case PANEL_TREE:
        break;
    }
    return CONSUMER_CONTINUE;
}

static ConsumerAction
screen_input(void *self, Aggregator *agg)
{
    Screen *s = self;
    s->agg = agg;
    int key;
    while ((key = getch()) != ERR) {
        ConsumerAction action = handle_key(s, key);
        if (action != CONSUMER_CONTINUE)
            return action;
    }
    /* The terminal went away (hang-up): stop as for SIGHUP. */
    if (isatty(STDIN_FILENO) == 0)
        return CONSUMER_QUIT;
    if (s->have_status)
        draw(s);
    return CONSUMER_CONTINUE;
}

static void
screen_resize(void *self)
{
    Screen *s = self;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    clear();
    if (s->have_status && s->agg)
        draw(s);
}

static int
screen_start(void *self, const RunStatus *status)
{
    (void)status;
    Screen *s = self;
    if (Terminal_start(s->color) < 0)
        return -1;
    set_escdelay(25);
    return 0;
}

static void
screen_stop(void *self)
{
    (void)self;
    Terminal_stop();
}

static void
screen_suspend(void *self)
{
    (void)self;
    Terminal_suspend();
}

static void
screen_resume(void *self)
{
    Screen *s = self;
    Terminal_resume();
    screen_resize(s);
}

static bool
screen_wants_async(void *self)
{
    const Screen *s = self;
    return s->async_on;
}

void
Screen_set_async(Screen *screen, bool on)
{
    screen->async_on = on;
}

/* Idle samples are shown (i) or a thread panel lists every thread. */
static bool
screen_wants_idle(void *self)
{
    const Screen *s = self;
    return s->query.include_idle;
}

Screen *
Screen_new(Symtab *symtab, const AggQuery *query, bool color)
{
    Screen *s = xcalloc(1, sizeof(*s));
    s->symtab = symtab;
    s->color = color;
    s->query = *query;
    s->query.filter = NULL;
    s->consumer = (Consumer){
        .self = s,
        .input_fd = STDIN_FILENO,
        .period_ns = 1000u * 1000 * 1000,
        .on_input = screen_input,
        .update = screen_update,
        .on_resize = screen_resize,
        .start = screen_start,
        .stop = screen_stop,
        .suspend = screen_suspend,
        .resume = screen_resume,
        .linger_after_exit = true,
        .wants_idle = screen_wants_idle,
        .wants_async = screen_wants_async,
    };
    return s;
}

void
Screen_delete(Screen *s)
{
    if (!s)
        return;
    free(s->rows);
    Callers_view_done(s);
    free(s->link_rows);
    Source_view_done(s);
    Tree_view_done(s);
    free(s);
}

Consumer *
Screen_consumer(Screen *s)
{
    return &s->consumer;
}
