#include "config.h"

#include <curses.h>

#include "panels.h"
#include "terminal.h"

void
Timeline_view_draw(Screen *s, int y, int width)
{
    static const char *const blocks_utf8[] = {" ",      "\u2581", "\u2582", "\u2583", "\u2584",
                                              "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char *const blocks_ascii[] = {" ", ".", ".", ":", ":", "=", "=", "#", "#"};
    const char *const *blocks = Terminal_utf8() ? blocks_utf8 : blocks_ascii;
    const Timeline *timeline = s->status.timeline;
    unsigned most = 1;
    int lo = -1, hi = -1, cursor = -1;
    int cols = width - 2 > 0 ? width - 2 : 1;
    const unsigned *counts = timeline->density(timeline->self, cols, &most, &lo, &hi, &cursor);
    move(y, 0);
    clrtoeol();
    mvaddch(y, 0, '[');
    for (int x = 0; x < cols; x++) {
        bool in_range = x >= lo && x <= hi;
        int attr = x == cursor ? Terminal_attr(COLOR_PAIR_WARN) | (int)A_REVERSE
                   : in_range  ? Terminal_attr(COLOR_PAIR_HEADER)
                               : Terminal_attr(COLOR_PAIR_DIM);
        attron(attr);
        mvaddstr(y, 1 + x, blocks[counts[x] ? 1 + counts[x] * 7 / most : 0]);
        attroff(attr);
    }
    mvaddch(y, cols + 1, ']');
}

bool
Timeline_view_key(Screen *s, int key)
{
    TimelineAction action;
    switch (key) {
    case '[':
        action = TIMELINE_START_BACK;
        break;
    case ']':
        action = TIMELINE_START_FORWARD;
        break;
    case '{':
        action = TIMELINE_END_BACK;
        break;
    case '}':
        action = TIMELINE_END_FORWARD;
        break;
    case '0':
        action = TIMELINE_WHOLE;
        break;
    case 'p':
        action = TIMELINE_PLAY_PAUSE;
        break;
    case ',':
        action = TIMELINE_SEEK_BACK;
        break;
    case '.':
        action = TIMELINE_SEEK_FORWARD;
        break;
    default:
        return false;
    }
    s->status.timeline->act(s->status.timeline->self, action);
    return true;
}
