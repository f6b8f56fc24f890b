/* Untrusted text made fit for the screen: control bytes, C1 and bidi
 * overrides escaped, cut to a display width at the end, with an ellipsis
 * (a name's start says what it is; callers that must keep a tail, such as
 * file:line, make room for it themselves). */
#ifndef SPYTOP_TUI_TEXT_H
#define SPYTOP_TUI_TEXT_H

#include <stddef.h>

/* Writes s, escaped and fitted to at most width columns, to out (a wide
 * string of at least width + 1 characters). Returns the columns used. */
int Text_fit(const char *s, int width, wchar_t *out, size_t out_len);

/* Draws s at (y, x) in at most width columns, padded with spaces to width
 * when pad is nonzero. */
void Text_draw(int y, int x, const char *s, int width, int pad);

#endif
