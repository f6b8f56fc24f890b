/* PC -> frames (function, file:line, module, inlined calls), through one
 * libdwfl session per target. The only libdw/libdwfl user. Results are
 * interned in a Symtab and cached per pc; the modules are re-reported only
 * when a pc falls outside every known module (dlopen, exec). Separate debug
 * info is found by build-id and .gnu_debuglink under /usr/lib/debug; no
 * network lookup unless the user set DEBUGINFOD_URLS. */
#ifndef SPYTOP_SRC_SYMBOLIZER_H
#define SPYTOP_SRC_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symtab.h"

typedef struct SymbolizedPc {
    const FrameId *frames; /* innermost (most inlined) first; count >= 1 */
    size_t count;
    uint64_t offset;       /* pc - start of its symbol, or - start of its module */
    bool offset_in_module; /* no symbol: offset is from the module's start */
} SymbolizedPc;

typedef struct Symbolizer Symbolizer;

/* symtab is borrowed and must outlive the symbolizer. */
Symbolizer *Symbolizer_new(pid_t pid, Symtab *symtab, char **cause);
void Symbolizer_delete(Symbolizer *symbolizer);

/* Looks up pc; exact is false for return addresses (looked up at pc - 1).
 * The result's arrays are borrowed until the next call that changes maps
 * or Symbolizer_delete. */
void Symbolizer_lookup(Symbolizer *symbolizer, uint64_t pc, bool exact, SymbolizedPc *out);

/* Whether pc has a symbol name (else it would show as ??). */
bool Symbolizer_has_name(Symbolizer *symbolizer, uint64_t pc, bool exact);

/* The target's maps changed (the unwinder saw it): the next pc in no known
 * module reports the modules again at once, not after the back-off. */
void Symbolizer_maps_changed(Symbolizer *symbolizer);

typedef struct SymbolQuery {
    const char *name; /* in */
    bool found;       /* out */
    uint64_t addr;    /* out: address in the target */
    uint64_t size;    /* out: st_size */
} SymbolQuery;

/* Looks the named symbols up in the first module whose path contains
 * module_part and that defines queries[0]. Returns how many were found
 * (0 when no module defines queries[0]); the module's address range and
 * path (borrowed until the next report) go to the out parameters. A scan
 * of symbol tables: for set-up, not for the sampling path. After
 * Symbolizer_maps_changed it reports the modules again first. */
size_t Symbolizer_find_symbols(Symbolizer *symbolizer, const char *module_part,
                               SymbolQuery *queries, size_t count, uint64_t *module_start,
                               uint64_t *module_end, const char **module_path);

/* The address in the target and the size of the section named section
 * (".AsyncioDebug") of the first module whose path contains module_part
 * and that has one, from its section headers (which stripped builds keep).
 * False when no module has it. A set-up call; reports the modules again
 * first after Symbolizer_maps_changed. */
bool Symbolizer_find_section(Symbolizer *symbolizer, const char *module_part, const char *section,
                             uint64_t *addr, uint64_t *size);

/* elfutils' version: the headers spytop was compiled against (running false),
 * or the libdw loaded now (running true). A static string. */
const char *Symbolizer_library_version(bool running);

#endif
