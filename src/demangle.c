#include "config.h"

#include "demangle.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(HAVE_LIBIBERTY_DEMANGLE)

#include <libiberty/demangle.h>

/* DMGL_AUTO tries Rust (legacy and v0) first, then the Itanium C++ ABI:
 * legacy Rust names are valid C++ names, so the order matters, and
 * DMGL_RUST alone would refuse C++. DMGL_VERBOSE is left out: no Rust
 * hashes or crate disambiguators. libiberty refuses names too deep for
 * its stack-allocated tables (DEMANGLE_RECURSION_LIMIT) instead of
 * overflowing the stack, as long as DMGL_NO_RECURSE_LIMIT is not set. */
char *
Demangle_symbol(const char *name)
{
    if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
        return NULL;
    return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}

const char *
Demangle_library(void)
{
    return "libiberty";
}

#elif defined(HAVE_CXA_DEMANGLE)

extern char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/* Rust's legacy mangling demangles as C++ with a trailing ::h<16 hex>;
 * true when s had that hash (and it was cut). */
static bool
strip_rust_hash(char *s)
{
    size_t len = strlen(s);
    if (len < 20 || memcmp(s + len - 19, "::h", 3) != 0)
        return false;
    for (size_t i = len - 16; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    s[len - 19] = '\0';
    return true;
}

/* Decodes the escapes of Rust's legacy mangling in place: $LT$ <, $GT$ >,
 * $RF$ &, $BP$ *, $C$ ",", $SP$ @, $LP$ (, $RP$ ), $uXX$ a code point,
 * ".." "::", and drops the "_" rustc puts before a leading "$". */
static void
decode_rust_escapes(char *s)
{
    static const struct {
        const char *code;
        char c;
    } escapes[] = {{"$LT$", '<'}, {"$GT$", '>'}, {"$RF$", '&'}, {"$BP$", '*'},
                   {"$C$", ','},  {"$SP$", '@'}, {"$LP$", '('}, {"$RP$", ')'}};
    char *out = s;
    const char *p = s;
    while (*p) {
        if ((p == s || p[-1] == ':') && p[0] == '_' && p[1] == '$') {
            p++;
            continue;
        }
        if (p[0] == '.' && p[1] == '.') {
            *out++ = ':';
            *out++ = ':';
            p += 2;
            continue;
        }
        if (*p == '$') {
            bool done = false;
            for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]) && !done; i++) {
                size_t n = strlen(escapes[i].code);
                if (strncmp(p, escapes[i].code, n) == 0) {
                    *out++ = escapes[i].c;
                    p += n;
                    done = true;
                }
            }
            unsigned cp;
            int used = 0;
            if (!done && p[1] == 'u' && sscanf(p, "$u%2x$%n", &cp, &used) == 1 && used == 5 &&
                cp >= 0x20 && cp < 0x7f) {
                *out++ = (char)cp;
                p += used;
                done = true;
            }
            if (done)
                continue;
        }
        *out++ = *p++;
    }
    *out = '\0';
}

char *
Demangle_symbol(const char *name)
{
    if (strncmp(name, "_Z", 2) != 0)
        return NULL;
    int status = 0;
    char *out = __cxa_demangle(name, NULL, NULL, &status);
    if (status != 0 || !out) {
        free(out);
        return NULL;
    }
    if (strip_rust_hash(out))
        decode_rust_escapes(out);
    return out;
}

const char *
Demangle_library(void)
{
    return "libstdc++ (C++ and legacy Rust only)";
}

#else

char *
Demangle_symbol(const char *name)
{
    (void)name;
    return NULL;
}

const char *
Demangle_library(void)
{
    return "none";
}

#endif
