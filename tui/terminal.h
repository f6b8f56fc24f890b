/* The terminal while the live view owns it: ncurses set-up and teardown,
 * colours (unless NO_COLOR, read with the options), and stderr held in a memory file so nothing
 * is written over the screen; what was held is printed after teardown.
 * A crash restores the terminal before the default action runs. */
#ifndef SPYTOP_TUI_TERMINAL_H
#define SPYTOP_TUI_TERMINAL_H

#include <stdbool.h>

enum TerminalColor {
    COLOR_PAIR_HEADER = 1,
    COLOR_PAIR_TITLE,
    COLOR_PAIR_SELECTED,
    COLOR_PAIR_HOT,
    COLOR_PAIR_WARN,
    COLOR_PAIR_DIM,
    COLOR_PAIR_BAR,
};

/* Takes the terminal, in colour when color and the terminal has colours.
 * 0, or -1 with a message on stderr (not a terminal). */
int Terminal_start(bool color);
/* Gives it back and prints what was written to stderr meanwhile. */
void Terminal_stop(void);
/* For Ctrl-Z: give the terminal back / take it again without losing state. */
void Terminal_suspend(void);
void Terminal_resume(void);

/* The attribute for a colour pair: A_NORMAL-ish fallbacks without colour. */
int Terminal_attr(enum TerminalColor pair);

/* Whether the terminal's character set (the locale's, once started) is
 * UTF-8: block characters can be drawn. */
bool Terminal_utf8(void);

/* True when standard input and output are terminals. */
bool Terminal_available(void);

/* ncurses' version: the headers spytop was compiled against (running
 * false), or the library loaded now (running true). A static string. */
const char *Terminal_library_version(bool running);

#endif
