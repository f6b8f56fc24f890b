/* The ncurses live view: a Consumer (src/consumer.h) drawn from the aggregator,
 * with the keys of top and py-spy; a recording's timeline (RunStatus) as a
 * strip under the header, its keys routed to it. */
#ifndef SPYTOP_TUI_SCREEN_H
#define SPYTOP_TUI_SCREEN_H

#include "aggregator.h"
#include "consumer.h"
#include "symtab.h"

typedef struct Screen Screen;

/* query is the initial view (sort, mode, window, idle); symtab borrowed;
 * color false: no colours (NO_COLOR). */
Screen *Screen_new(Symtab *symtab, const AggQuery *query, bool color);
void Screen_delete(Screen *screen);
/* --async at the start (the a key turns it). */
void Screen_set_async(Screen *screen, bool on);
Consumer *Screen_consumer(Screen *screen);

#endif
