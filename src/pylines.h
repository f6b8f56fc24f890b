/* CPython's line number tables: which source line an instruction offset
 * of a code object belongs to, in each version's format (pylayout.h's
 * PyLineFormat). Pure: the table is bytes already copied out of the
 * target; every read is bounded by its length. */
#ifndef SPYTOP_SRC_PYLINES_H
#define SPYTOP_SRC_PYLINES_H

#include <stddef.h>
#include <stdint.h>

#include "pylayout.h"

/* The line of the instruction at lasti (bytes before 3.10, code units
 * after) in the len bytes of table, counting from firstlineno: -1 when the
 * table says it has none or cannot be read there. */
int PyLines_line(PyLineFormat format, const uint8_t *table, size_t len, int firstlineno,
                 int32_t lasti);

#endif
