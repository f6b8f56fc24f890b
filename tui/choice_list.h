/* Internal to tui/: a panel whose rows choose what the hot list shows, the
 * first row standing for all of them (the threads panel, the processes
 * panel). It draws the column heads, scrolls, marks the selected row and
 * the current choice; the caller draws each row's cells. */
#ifndef SPYTOP_TUI_CHOICE_LIST_H
#define SPYTOP_TUI_CHOICE_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ChoiceList {
    const char *heads;     /* the title line */
    const char *all_label; /* row 0 */
    size_t count;          /* rows, row 0 included */
    size_t current;        /* the row chosen now (0: all) */
    /* Draws row index (>= 1) on line y, attributes set. */
    void (*draw_row)(void *arg, int y, size_t index, int width);
    void *arg;
} ChoiceList;

/* Draws the list in height lines from top; *selected is kept within the
 * rows and *scroll keeps it in view. */
void ChoiceList_draw(const ChoiceList *list, int top, int height, int width, int *selected,
                     int *scroll);

#endif
