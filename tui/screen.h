/* The ncurses live view: a LiveView (src/live.h) drawn from the aggregator,
 * with the keys of top and py-spy. */
#ifndef SPYTOP_TUI_SCREEN_H
#define SPYTOP_TUI_SCREEN_H

#include "aggregator.h"
#include "live.h"
#include "symtab.h"

typedef struct Screen Screen;

/* query is the initial view (sort, mode, window, idle); symtab borrowed. */
Screen *Screen_new(Symtab *symtab, const AggQuery *query);
void Screen_delete(Screen *screen);
LiveView *Screen_view(Screen *screen);

#endif
