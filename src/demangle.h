/* Symbol names as their source spells them: C++ (the Itanium ABI's _Z…)
 * and Rust, both its legacy mangling (_ZN…17h<hash>E) and v0 (_R…). The
 * only user of the demangling library: libiberty's cplus_demangle where
 * configure found it (Debian's libiberty-dev), else libstdc++'s
 * __cxa_demangle (C++ and Rust legacy, no v0), else none. */
#ifndef SPYTOP_SRC_DEMANGLE_H
#define SPYTOP_SRC_DEMANGLE_H

/* A new string, or NULL when name is not a mangled name the library
 * understands (a C name, garbage, a name too deep to demangle safely).
 * Parameters of C++ functions are shown; Rust's hashes are not. */
char *Demangle_symbol(const char *name);

/* "libiberty", "libstdc++ (C++ and legacy Rust only)" or "none": which
 * demangler this build uses. A static string. */
const char *Demangle_library(void);

#endif
