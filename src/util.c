#include "config.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void __attribute__((noreturn)) out_of_memory(size_t size)
{
    fprintf(stderr, "spytop: out of memory (allocating %zu bytes)\n", size);
    abort();
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        out_of_memory(nmemb * size);
    return p;
}

void *
xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    return xrealloc(ptr, nmemb * size);
}

void *
xgrow_to(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap > SIZE_MAX / 2 ? SIZE_MAX : *cap * 2;
    if (n < 16)
        n = 16;
    if (n < need)
        n = need;
    p = xreallocarray(p, n, elem);
    *cap = n;
    return p;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory(strlen(fmt));
    return s;
}

uint64_t
Util_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
Backoff_init(Backoff *b, uint64_t min_ns, uint64_t max_ns)
{
    b->next_ns = 0;
    b->interval_ns = b->min_ns = min_ns;
    b->max_ns = max_ns;
}

bool
Backoff_due(const Backoff *b, uint64_t now_ns)
{
    return now_ns >= b->next_ns;
}

void
Backoff_tried(Backoff *b, uint64_t now_ns, bool found_something)
{
    if (found_something)
        b->interval_ns = b->min_ns;
    else if (b->interval_ns < b->max_ns)
        b->interval_ns = b->interval_ns * 2 > b->max_ns ? b->max_ns : b->interval_ns * 2;
    b->next_ns = now_ns + b->interval_ns;
}

ssize_t
Util_read_small_file(const char *path, char *buf, size_t max)
{
    if (max == 0)
        return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    size_t len = 0;
    while (len + 1 < max) {
        ssize_t n = read(fd, buf + len, max - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            close(fd);
            return -err;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

bool
Util_regular_or_close(int fd, const char *path, uint64_t *size, char **cause)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (cause)
            *cause = xasprintf("%s is not a regular file", path);
        close(fd);
        return false;
    }
    if (size)
        *size = (uint64_t)st.st_size;
    return true;
}

size_t
Util_utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        c = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        c = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static int
is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
           cp == 0x200f || cp == 0x061c;
}

size_t
Util_escape_char(const char *s, char out[UTIL_ESCAPE_MAX], size_t *consumed)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    size_t len = Util_utf8_decode(p, &cp);
    if (len == 0 || cp < 0x20 || cp == 0x7f) {
        *consumed = 1;
        return (size_t)snprintf(out, UTIL_ESCAPE_MAX, "\\x%02x", *p);
    }
    *consumed = len;
    if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp))
        return (size_t)snprintf(out, UTIL_ESCAPE_MAX, "\\u{%04x}", (unsigned)cp);
    if (cp == '\\') {
        memcpy(out, "\\\\", 2);
        return 2;
    }
    memcpy(out, p, len);
    return len;
}

void
Util_fputs_escaped(const char *s, FILE *f)
{
    while (*s) {
        char buf[UTIL_ESCAPE_MAX];
        size_t used;
        fwrite(buf, 1, Util_escape_char(s, buf, &used), f);
        s += used;
    }
}

char *
Util_escaped(const char *s)
{
    size_t cap = strlen(s) + 1, len = 0;
    char *out = xmalloc(cap);
    while (*s) {
        out = xgrow(out, &cap, len + UTIL_ESCAPE_MAX + 1, 1);
        size_t used;
        len += Util_escape_char(s, out + len, &used);
        s += used;
    }
    out[len] = '\0';
    return out;
}

void
Util_fputs_json(const char *s, FILE *f)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t len = Util_utf8_decode(p, &cp);
        if (len == 0) {
            fputs("\\ufffd", f);
            p++;
            continue;
        }
        switch (cp) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp))
                fprintf(f, "\\u%04x", (unsigned)cp);
            else
                fwrite(p, 1, len, f);
        }
        p += len;
    }
}

void
Util_set_own_nice(int nice, bool exact)
{
    errno = 0;
    int now = getpriority(PRIO_PROCESS, 0);
    if (errno || (!exact && nice >= now))
        return;
    (void)setpriority(PRIO_PROCESS, 0, nice); /* EACCES: not permitted, as documented */
}

void
Util_fputs_json_string(const char *s, FILE *f)
{
    fputc('"', f);
    Util_fputs_json(s, f);
    fputc('"', f);
}
