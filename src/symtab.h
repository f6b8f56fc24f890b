/* Interned strings, frames and stacks, each named by a dense integer id.
 * Every consumer of samples (dump, the live view, the recorder) holds ids,
 * never pointers into these tables. Ids are stable for the table's life. */
#ifndef SPYTOP_SRC_SYMTAB_H
#define SPYTOP_SRC_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t StrId;
typedef uint32_t FrameId;
typedef uint32_t StackId;

/* The empty string always has id 0. */
#define SYMTAB_EMPTY ((StrId)0)

typedef enum FrameKind {
    FRAME_NATIVE = 0,
    FRAME_INLINED = 1, /* a native call the compiler inlined into its caller */
    FRAME_PYTHON = 2,
} FrameKind;

typedef struct SymtabFrame {
    StrId function; /* SYMTAB_EMPTY when unknown */
    StrId file;     /* SYMTAB_EMPTY when there is no line information */
    StrId module;   /* SYMTAB_EMPTY when the pc is in no module */
    uint32_t line;  /* 0 when unknown */
    uint8_t kind;   /* FrameKind */
} SymtabFrame;

typedef struct Symtab Symtab;

Symtab *Symtab_new(void);
void Symtab_delete(Symtab *symtab);

StrId Symtab_intern_string(Symtab *symtab, const char *s, size_t len);
StrId Symtab_intern_cstr(Symtab *symtab, const char *s);
/* Borrowed; valid for the table's life. */
const char *Symtab_string(const Symtab *symtab, StrId id);

FrameId Symtab_intern_frame(Symtab *symtab, const SymtabFrame *frame);
const SymtabFrame *Symtab_frame(const Symtab *symtab, FrameId id);

/* frames innermost first. */
StackId Symtab_intern_stack(Symtab *symtab, const FrameId *frames, size_t count);
/* Borrowed until the next intern; never NULL for a stack the table has
 * (also when it is empty), NULL with *count 0 for any other id. */
const FrameId *Symtab_stack(const Symtab *symtab, StackId id, size_t *count);

size_t Symtab_string_count(const Symtab *symtab);
size_t Symtab_frame_count(const Symtab *symtab);
size_t Symtab_stack_count(const Symtab *symtab);

#endif
