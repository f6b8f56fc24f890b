/* CPython str objects read from the target's memory into UTF-8: every
 * compact layout (ASCII, UCS1, UCS2, UCS4), bounded in length. */
#ifndef SPYTOP_SRC_PYSTR_H
#define SPYTOP_SRC_PYSTR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"

/* The most characters PyStr_read decodes; a longer str is cut there. */
#define PY_STR_MAX_CHARS 1024
/* Room for PY_STR_MAX_CHARS characters in UTF-8 and a NUL. */
#define PY_STR_UTF8_MAX (PY_STR_MAX_CHARS * 4 + 1)

/* The str at addr as NUL-terminated UTF-8 into out (size >= 5), cut to
 * max_chars characters (<= PY_STR_MAX_CHARS) and to what fits out. The
 * UTF-8 length, or -1 when addr is not a compact str that can be read. */
int PyStr_read(pid_t pid, const PyLayout *layout, uint64_t addr, size_t max_chars, char *out,
               size_t size);

#endif
