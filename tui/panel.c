#include "config.h"

#include "panel.h"

#include <curses.h>

bool
Panel_move(int key, int count, int page, int *selected)
{
    if (page < 1)
        page = 1;
    int sel = *selected;
    switch (key) {
    case KEY_UP:
    case 'k':
        sel--;
        break;
    case KEY_DOWN:
    case 'j':
        sel++;
        break;
    case KEY_PPAGE:
        sel -= page;
        break;
    case KEY_NPAGE:
        sel += page;
        break;
    case KEY_HOME:
        sel = 0;
        break;
    case KEY_END:
        sel = count - 1;
        break;
    default:
        return false;
    }
    if (sel >= count)
        sel = count - 1;
    if (sel < 0)
        sel = 0;
    *selected = sel;
    return true;
}

void
Panel_scroll(int selected, int height, int *scroll)
{
    if (height < 1)
        height = 1;
    if (selected < *scroll)
        *scroll = selected;
    if (selected >= *scroll + height)
        *scroll = selected - height + 1;
    if (*scroll < 0)
        *scroll = 0;
}
