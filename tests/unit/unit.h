/* Shared by the unit tests: cmocka 1.1.5 drops fail_msg()'s text in TAP
 * mode, so FAIL says it as a TAP comment on stdout, then fails. Include
 * after <cmocka.h>. */
#ifndef SPYTOP_TESTS_UNIT_UNIT_H
#define SPYTOP_TESTS_UNIT_UNIT_H

#include <stdarg.h>
#include <stdio.h>

#include "symtab.h"

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));

static void
diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

#define FAIL(...) (diag(__VA_ARGS__), fail())

/* A frame interned from plain strings. */
static FrameId unit_frame(Symtab *st, const char *fn, const char *file, const char *module,
                          unsigned line, FrameKind kind) __attribute__((unused));

static FrameId
unit_frame(Symtab *st, const char *fn, const char *file, const char *module, unsigned line,
           FrameKind kind)
{
    SymtabFrame f = {
        .function = Symtab_intern_cstr(st, fn),
        .file = Symtab_intern_cstr(st, file),
        .module = Symtab_intern_cstr(st, module),
        .line = line,
        .kind = (uint8_t)kind,
    };
    return Symtab_intern_frame(st, &f);
}

#endif
