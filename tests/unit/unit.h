/* Shared by the unit tests: cmocka 1.1.5 drops fail_msg()'s text in TAP
 * mode, so FAIL says it as a TAP comment on stdout, then fails. Include
 * after <cmocka.h>. */
#ifndef SPYTOP_TESTS_UNIT_UNIT_H
#define SPYTOP_TESTS_UNIT_UNIT_H

#include <stdarg.h>
#include <stdio.h>

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

#endif
