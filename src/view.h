/* `spytop view FILE`: a recording replayed through the event loop (loop.h)
 * into a consumer (the ncurses screen), with a timeline (consumer.h) to
 * choose the range the figures cover, and playback. */
#ifndef SPYTOP_SRC_VIEW_H
#define SPYTOP_SRC_VIEW_H

#include <sys/types.h>

#include "consumer.h"
#include "symtab.h"

/* Shows the recording at path until the consumer quits: the samples of
 * process pid, or with pid 0 all of them. Its strings go to symtab, which
 * the consumer reads too. Returns an exit status (exit_codes.h: a pid the
 * recording does not hold is EXIT_FATAL, said before the screen starts);
 * errors go to stderr. */
int View_run(const char *path, pid_t pid, Symtab *symtab, Consumer *consumer);

#endif
