/* Internal to tui/: the screen's state and the panels that draw it. Each
 * panel draws between the header and the footer and handles its keys; the
 * screen (screen.c) calls them, they never call it back. */
#ifndef SPYTOP_TUI_PANELS_H
#define SPYTOP_TUI_PANELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregator.h"
#include "calltree.h"
#include "consumer.h"
#include "linecounts.h"
#include "sourcefile.h"
#include "screen.h"
#include "symtab.h"

typedef enum ScreenPanel {
    PANEL_HOT,
    PANEL_THREADS,
    PANEL_CALLERS,
    PANEL_HELP,
    PANEL_SOURCE,
    PANEL_TREE,
    PANEL_PROCESSES,
} ScreenPanel;

#define FILTER_MAX 128

/* One function the callers panel was about: the row key (of either mode),
 * its name (owned) and where the cursor was, to come back to it. */
typedef struct WalkStep {
    uint64_t key;
    char *name;
    int cursor;
} WalkStep;

/* How many steps back the walk remembers. */
#define WALK_MAX 32

struct Screen {
    Consumer consumer;
    Symtab *symtab;
    bool color;
    Aggregator *agg; /* set at the first draw */
    AggQuery query;
    char filter[FILTER_MAX];
    bool editing_filter;
    char edit[FILTER_MAX];
    ScreenPanel panel;
    bool paused;
    bool async_on;    /* a: --async, live only */
    RunStatus status; /* last seen */
    bool have_status;
    /* The hot list as last queried (a private copy: kept while paused). */
    AggRow *rows;
    size_t nrows, rows_cap;
    AggTotals totals;
    int selected, scroll;
    /* Threads panel; processes panel. */
    int thread_selected, thread_scroll;
    int process_selected, process_scroll;
    /* Help: the first line shown, and the lines the last draw had. */
    int help_top, help_height;
    /* Callers panel: the function it is about (walk[nwalk - 1]) and the
     * ones walked through to it; the cursor over its caller and callee
     * rows, and those rows as last drawn (callers, then callees). */
    WalkStep walk[WALK_MAX];
    int nwalk;
    int link_cursor, link_scroll;
    AggLink *link_rows;
    size_t nlink_rows, link_rows_cap;
    size_t nlink_callers;
    uint64_t links_of; /* the focus link_rows are of (kept while paused) */
    /* Source panel: the function (a row key) and its name, the panel to
     * go back to, the first line shown (0: not placed yet), the counts
     * and the file they are in as read (or why it could not be). */
    uint64_t source_key;
    char *source_name;
    ScreenPanel source_back;
    int source_top, source_height;
    LineCounts source_counts;
    bool source_counted; /* the counts are the function's (kept while paused) */
    StrId source_file_id;
    SourceFile *source_file;
    char *source_error;
    /* Tree panel: the tree as last built, the open nodes (their paths,
     * which stay from build to build), the cursor's node (its path; its
     * row when the node went away), the rows shown and the first on
     * screen; placed once along the hottest path. */
    CallTree tree;
    uint64_t *tree_open;
    size_t ntree_open, tree_open_cap;
    uint64_t tree_cursor;
    int tree_cursor_row, tree_scroll, tree_height;
    uint32_t *tree_rows;
    size_t ntree_rows, tree_rows_cap;
    bool tree_placed;
};

typedef struct Screen Screen;

/* Top lines: target, threads, sampler, view settings. Returns lines used. */
int Header_draw(Screen *s, int width);

void Hotlist_view_draw(Screen *s, int top, int height, int width);
void Threads_view_draw(Screen *s, int top, int height, int width);
/* Returns true when a thread was chosen (the screen goes back to the hot list). */
bool Threads_view_key(Screen *s, int key);
void Processes_view_draw(Screen *s, int top, int height, int width);
/* Returns true when a process was chosen (the screen goes back to the hot list). */
bool Processes_view_key(Screen *s, int key);
void Callers_view_draw(Screen *s, int top, int height, int width);
/* Starts a walk at the function of row key `key` named name. */
void Callers_view_open(Screen *s, uint64_t key, const char *name);
/* The callers panel's keys: move, walk (Enter, Right), back (Left,
 * Backspace). True when the key was one; *leave set when the walk went
 * back past its start. */
bool Callers_view_key(Screen *s, int key, bool *leave);
/* Forgets the walk. */
void Callers_view_done(Screen *s);
/* The focus of the walk (a row key); 0 when there is none. */
uint64_t Callers_view_focus(const Screen *s, const char **name);

/* The source of the function of row key `key`, with per-line shares;
 * Left goes back to panel `back`. */
void Source_view_open(Screen *s, uint64_t key, const char *name, ScreenPanel back);
void Source_view_draw(Screen *s, int top, int height, int width);
/* Scrolls (arrows, j k, pages, Home, End); Left, Backspace and s leave
 * (*leave set). True when the key was one of those. */
bool Source_view_key(Screen *s, int key, bool *leave);
void Source_view_done(Screen *s);

/* The top-down call tree. */
void Tree_view_draw(Screen *s, int top, int height, int width);
/* Moves (arrows, j k, pages), opens (Enter, Right, +), closes (Enter,
 * Left, -: on a closed node, to its parent), opens all (E) or closes all
 * (C), s the source of the node's function. True when the key was one. */
bool Tree_view_key(Screen *s, int key);
void Tree_view_done(Screen *s);
void Help_draw(Screen *s, int top, int height, int width);
/* Scrolls the help by key; true when the key was a scrolling one. */
bool Help_key(Screen *s, int key);
/* True when the help goes on below the last line shown. */
bool Help_more_below(const Screen *s);
/* The timeline strip of a recording (s->status.timeline): one line. */
void Timeline_view_draw(Screen *s, int y, int width);
/* The timeline's keys; true when key was one (the figures change). */
bool Timeline_view_key(Screen *s, int key);

#endif
