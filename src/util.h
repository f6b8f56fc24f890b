/* Small helpers shared by every module: allocation that aborts on OOM,
 * monotonic time, file slurping and escaping of untrusted text. */
#ifndef SPYTOP_SRC_UTIL_H
#define SPYTOP_SRC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A macro's expansion as a string literal: UTIL_STR(UNW_VERSION_MAJOR) is "1". */
#define UTIL_STR_(x) #x
#define UTIL_STR(x) UTIL_STR_(x)

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xgrow_to(void *p, size_t *cap, size_t need, size_t elem);

/* p, an array of *cap elements of elem bytes, with room for at least need:
 * unchanged when it has that room, else reallocated to double its
 * capacity (at least 16, at least need) with *cap updated. The new
 * elements are not initialised. */
static inline void *
xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
    return need <= *cap ? p : xgrow_to(p, cap, need, elem);
}

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t Util_now_ns(void);

/* Rate limit for retrying something that may not have changed (re-reading
 * the target's maps): due at most every interval, which doubles after each
 * try that found nothing new (up to max) and drops back to min after one
 * that did. */
typedef struct Backoff {
    uint64_t next_ns, interval_ns, min_ns, max_ns;
} Backoff;

void Backoff_init(Backoff *b, uint64_t min_ns, uint64_t max_ns);
bool Backoff_due(const Backoff *b, uint64_t now_ns);
void Backoff_tried(Backoff *b, uint64_t now_ns, bool found_something);

/* Reads at most max - 1 bytes of a small file (e.g. under /proc) into buf,
 * NUL-terminated. Returns the byte count or -errno. Never blocks on a FIFO. */
ssize_t Util_read_small_file(const char *path, char *buf, size_t max);

/* Whether fd, opened from path, is a regular file (not a FIFO, a device,
 * a directory); its size in *size when size is not NULL. When it is not,
 * closes fd and sets *cause (when cause is not NULL) to a message. */
bool Util_regular_or_close(int fd, const char *path, uint64_t *size, char **cause);

/* A 64-bit mix (splitmix64's finaliser) for open-addressing hash tables:
 * every input bit moves the low bits. */
static inline uint64_t
Util_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The length (1..4) and code point of the valid UTF-8 sequence at s, or 0
 * for invalid, overlong or surrogate sequences. s must be NUL-terminated. */
size_t Util_utf8_decode(const unsigned char *s, uint32_t *cp);

/* Writes s to f with every byte that could steer a terminal made visible:
 * C0 controls, DEL, C1 controls (also as UTF-8 U+0080..U+009F), invalid
 * UTF-8 and bidi overrides become \xNN or \u{NNNN}; a backslash is
 * doubled, so the escapes can be undone. */
void Util_fputs_escaped(const char *s, FILE *f);

/* spytop's own nice value while it samples (--nice). A thread of the
 * target is held stopped from its interrupt to its restart; when spytop is
 * preempted in between, the stop lasts a scheduler slice (measured: a p99
 * stop of 3-4 ms at nice 0 on a target with more running threads than
 * CPUs, 70-370 us at nice -10). Sets nice when `exact` or when it raises
 * the priority; does nothing when the system does not permit it. */
void Util_set_own_nice(int nice, bool exact);

/* The most bytes Util_escape_char writes. */
#define UTIL_ESCAPE_MAX 12

/* One step of Util_fputs_escaped: the character at s (not at its end)
 * escaped into out (not NUL-terminated). Returns the bytes written to out
 * and sets *consumed to the bytes of s they stand for. */
size_t Util_escape_char(const char *s, char out[UTIL_ESCAPE_MAX], size_t *consumed);

/* s escaped as Util_fputs_escaped writes it, in a new string. */
char *Util_escaped(const char *s);

/* Writes s as the inside of a JSON string (quotes excluded), escaping
 * control characters and invalid UTF-8 bytes (as U+FFFD). */
void Util_fputs_json(const char *s, FILE *f);

/* Writes s as a whole JSON string, quotes included. */
void Util_fputs_json_string(const char *s, FILE *f);

#endif
