/* What every list panel of the screen shares: moving its selection by key
 * and keeping the selection in view. Plain arithmetic over ncurses' key
 * codes; no drawing. */
#ifndef SPYTOP_TUI_PANEL_H
#define SPYTOP_TUI_PANEL_H

#include <stdbool.h>

/* Moves a selection by key (arrows, j k, pages, Home, End) in a list of
 * count rows, page rows a page; true when the key was one of those. */
bool Panel_move(int key, int count, int page, int *selected);

/* Keeps selected visible in a list of height rows scrolled by *scroll. */
void Panel_scroll(int selected, int height, int *scroll);

#endif
