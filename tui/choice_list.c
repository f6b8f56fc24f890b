#include "config.h"

#include "choice_list.h"

#include <curses.h>

#include "panel.h"
#include "terminal.h"

void
ChoiceList_draw(const ChoiceList *list, int top, int height, int width, int *selected, int *scroll)
{
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    mvhline(top, 0, ' ', width);
    mvaddstr(top, 0, list->heads);
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
    int rows_h = height - 1;
    if (*selected >= (int)list->count)
        *selected = (int)list->count - 1;
    Panel_scroll(*selected, rows_h, scroll);
    for (int i = 0; i < rows_h; i++) {
        int y = top + 1 + i;
        move(y, 0);
        clrtoeol();
        size_t index = (size_t)(*scroll + i);
        if (index >= list->count)
            continue;
        bool is_selected = (int)index == *selected;
        int attr = is_selected              ? Terminal_attr(COLOR_PAIR_SELECTED)
                   : index == list->current ? (int)A_BOLD
                                            : (int)A_NORMAL;
        attron(attr);
        if (is_selected)
            mvhline(y, 0, ' ', width);
        if (index == 0)
            mvaddstr(y, 0, list->all_label);
        else
            list->draw_row(list->arg, y, index, width);
        attroff(attr);
    }
}
