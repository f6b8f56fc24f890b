/* CPython code objects as symtab frames: a code object's qualified name,
 * file and line table are read once, after the thread resumed, and cached
 * by address; a cached one is checked again now and then, since its
 * address may have been freed and reused. Names are str objects read in
 * every compact layout (ASCII, UCS1, UCS2, UCS4) into UTF-8. */
#ifndef SPYTOP_SRC_PYCODE_H
#define SPYTOP_SRC_PYCODE_H

#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"
#include "symtab.h"

typedef struct PyCodeCache PyCodeCache;

/* layout is copied; code_type is &PyCode_Type in the target. */
PyCodeCache *PyCodeCache_new(pid_t pid, const PyLayout *layout, uint64_t code_type);
void PyCodeCache_delete(PyCodeCache *cache);

/* The frame of the code object at code, at instruction lasti (-1:
 * unknown, the first line), interned in symtab; "<unreadable Python
 * frame>" when code is not a code object that can be read. */
FrameId PyCodeCache_frame(PyCodeCache *cache, uint64_t code, int32_t lasti, Symtab *symtab);

#endif
