/* The ncurses live view: a Consumer (src/consumer.h) drawn from the aggregator,
 * with the keys of top and py-spy. */
#ifndef SPYTOP_TUI_SCREEN_H
#define SPYTOP_TUI_SCREEN_H

#include "aggregator.h"
#include "consumer.h"
#include "symtab.h"

typedef struct Screen Screen;

/* A recording's timeline, drawn as a strip under the header: the view of a
 * recording provides it (tui/replay.c). */
typedef struct ScreenTimeline {
    void *self;
    /* Fills one character per column (UTF-8 or ASCII) into line (size
     * bytes) and tells which columns are in the selected range and where
     * the play cursor is (-1: none). */
    void (*strip)(void *self, int width, char *line, size_t size, int *range_lo, int *range_hi,
                  int *cursor);
    /* A key the screen does not use itself; true when it was the
     * timeline's (the figures change). */
    bool (*key)(void *self, int key);
    /* Whether the figures cover the whole selected range (true) or the
     * window before the play cursor (false). */
    bool (*cumulative)(void *self);
} ScreenTimeline;

/* query is the initial view (sort, mode, window, idle); symtab borrowed. */
Screen *Screen_new(Symtab *symtab, const AggQuery *query);
void Screen_delete(Screen *screen);
Consumer *Screen_consumer(Screen *screen);

/* Shows a recording's timeline (borrowed; NULL: none). */
void Screen_set_timeline(Screen *screen, const ScreenTimeline *timeline);

#endif
