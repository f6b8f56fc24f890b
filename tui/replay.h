/* `spytop view FILE`: a recording in the live view's screens, with a
 * timeline to choose the range the figures cover, and playback. */
#ifndef SPYTOP_TUI_REPLAY_H
#define SPYTOP_TUI_REPLAY_H

#include "aggregator.h"

/* Shows the recording at path until the user quits. query is the initial
 * view. Returns an exit status (EXIT_*); errors go to stderr. */
int Replay_run(const char *path, const AggQuery *query);

#endif
