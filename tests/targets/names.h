/* The hostile names of the names target and its library. \033]2;...\007
 * sets a terminal's title, \302\233 is U+009B (CSI) and \233 the same as a
 * raw byte (invalid UTF-8), \342\200\256 is U+202E (right-to-left
 * override). Thread names are 15 bytes at most. */
#ifndef SPYTOP_TESTS_TARGETS_NAMES_H
#define SPYTOP_TESTS_TARGETS_NAMES_H

#define NAMES_COMM "\033]2;pwned\007\n"
#define NAMES_THREAD2 ") R 1 (\302\233\2332J"
#define NAMES_THREAD3 "\342\200\256evil\033[2J"
#define NAMES_HOT_SYMBOL "names_hot\033]2;pwned\007\302\233\342\200\256) R 1 ("
#define NAMES_WAIT_SYMBOL "names_wait\2331;1H\033[2J"
#define NAMES_LIB_SYMBOL "names_lib_hot\033]0;pwned\007\342\200\256\233"

#endif
