/* Unit tests for src/util.c: escaping untrusted text for a terminal and for
 * JSON, and reading small files without blocking. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "util.h"

typedef void (*PutsFn)(const char *s, FILE *f);

/* What fn writes for s, as a new string. */
static char *
capture(PutsFn fn, const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(s, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(strlen(buf), len); /* no NUL was written */
    return buf;
}

static void
print_hex(const char *label, const char *s)
{
    char line[1024];
    size_t n = (size_t)snprintf(line, sizeof(line), "%s:", label);
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < sizeof(line); p++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " %02x", *p);
    diag("%s", line);
}

static void
expect_output(PutsFn fn, const char *in, const char *want)
{
    char *got = capture(fn, in);
    if (strcmp(got, want) != 0) {
        print_hex("input", in);
        print_hex("got  ", got);
        print_hex("want ", want);
        free(got);
        FAIL("wrong output (bytes above)");
    }
    free(got);
}

/* ---- an independent UTF-8 decoder (Unicode 15, table 3-7) --------------- */

/* Length (1..4) of the well-formed sequence at s and its code point, or 0. */
static size_t
decode_utf8(const unsigned char *s, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (b < 0x80) {
        *cp = b;
        return b ? 1 : 0;
    } else if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        if (b == 0xe0)
            lo = 0xa0;
        if (b == 0xed)
            hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        if (b == 0xf0)
            lo = 0x90;
        if (b == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    uint32_t c = b & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < len; i++)
        c = (c << 6) | (s[i] & 0x3f);
    *cp = c;
    return len;
}

static size_t
encode_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static bool
is_bidi(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
           cp == 0x200f || cp == 0x061c;
}

/* True when every byte of s is printable ASCII or part of well-formed UTF-8
 * for a code point that is neither a control (C0, DEL, C1) nor a bidi
 * control: nothing that can steer a terminal. */
static bool
terminal_safe(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t len = decode_utf8(p, &cp);
        if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || is_bidi(cp))
            return false;
        p += len;
    }
    return true;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Undoes Util_fputs_escaped (\\, \xNN, \u{NNNN}) into a new string, or
 * returns NULL when s holds a malformed escape. */
static char *
unescape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1), *o = out;
    assert_non_null(out);
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            *o++ = s[i++];
            continue;
        }
        if (s[i + 1] == '\\') {
            *o++ = '\\';
            i += 2;
        } else if (s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 && hex_value(s[i + 3]) >= 0) {
            *o++ = (char)(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3]));
            i += 4;
        } else if (s[i + 1] == 'u' && s[i + 2] == '{') {
            uint32_t cp = 0;
            size_t j = i + 3;
            while (hex_value(s[j]) >= 0 && j < i + 9)
                cp = cp * 16 + (uint32_t)hex_value(s[j++]);
            if (s[j] != '}' || j == i + 3) {
                free(out);
                return NULL;
            }
            o += encode_utf8(cp, o);
            i = j + 1;
        } else {
            free(out);
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

/* Decodes s as the inside of a JSON string (RFC 8259) into a new UTF-8
 * string, or returns NULL when s is not valid there. */
static char *
json_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    assert_non_null(out);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '"' || *p < 0x20)
            goto bad;
        if (*p != '\\') {
            uint32_t cp;
            size_t len = decode_utf8(p, &cp);
            if (len == 0)
                goto bad;
            memcpy(o, p, len);
            o += len;
            p += len;
            continue;
        }
        p++;
        static const char escapes[] = "\"\\/bfnrt", meanings[] = "\"\\/\b\f\n\r\t";
        const char *simple = strchr(escapes, *p);
        if (*p && simple) {
            *o++ = meanings[simple - escapes];
            p++;
            continue;
        }
        if (*p != 'u')
            goto bad;
        uint32_t cp = 0;
        for (int i = 1; i <= 4; i++) {
            int v = hex_value((char)p[i]);
            if (v < 0)
                goto bad;
            cp = cp * 16 + (uint32_t)v;
        }
        if (cp >= 0xd800 && cp <= 0xdfff) /* never needed: no pairs are written */
            goto bad;
        o += encode_utf8(cp, o);
        p += 5;
    }
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

/* s with each byte that starts no well-formed sequence replaced by U+FFFD. */
static char *
replace_invalid(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    assert_non_null(out);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t len = decode_utf8(p, &cp);
        if (len == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
        } else {
            memcpy(o, p, len);
            o += len;
            p += len;
        }
    }
    *o = '\0';
    return out;
}

static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A NUL-free string mixing random bytes with fragments that matter. */
static void
random_text(uint64_t *seed, char *buf, size_t size)
{
    static const char *const pieces[] = {
        "\xc2\x9b",
        "\xc2\x80",
        "\xc2\xa0",
        "\xe2\x80\xae",
        "\xe2\x81\xa6",
        "\xd8\x9c",
        "\xed\xa0\x80",
        "\xf0\x9f\x98\x80",
        "\xc3\xa9",
        "\xe6\x97\xa5",
        "\xc0\xaf",
        "\xe0\x80\xaf",
        "\xf4\x90\x80\x80",
        "\\",
        "\"",
        "\x1b[31m",
        "\x7f",
        "\n",
        "\t",
        "a",
        "\\x1b",
        "\\u{202e}",
    };
    size_t len = 0, want = (size_t)(next_random(seed) % (size - 8));
    while (len < want) {
        uint64_t r = next_random(seed);
        if (r % 3 == 0) {
            const char *piece = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t n = strlen(piece);
            if (len + n >= size)
                break;
            memcpy(buf + len, piece, n);
            len += n;
        } else {
            buf[len++] = (char)(1 + (r >> 8) % 255);
        }
    }
    buf[len] = '\0';
}

/* ---- Util_fputs_escaped ------------------------------------------------- */

static void
escaped_passes_text_through(void **state)
{
    (void)state;
    static const char *const same[] = {
        "",
        "hello, world",
        "main.c:42 ns::fn<int>() [x] {y} 'q' \"dq\" ~!@#$%^&*",
        "caf\xc3\xa9",              /* café */
        "\xe6\x97\xa5\xe6\x9c\xac", /* 日本 */
        "\xf0\x9f\x98\x80",         /* U+1F600 */
        "nbsp\xc2\xa0"
        "here",             /* U+00A0, just past C1 */
        "\xef\xbf\xbd",     /* U+FFFD */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        expect_output(Util_fputs_escaped, same[i], same[i]);
}

static void
escaped_controls(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"},
        {"bell\a", "bell\\x07"},
        {"del\x7f", "del\\x7f"},
        {"a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"},
        {"\x01\x1f", "\\x01\\x1f"},
        /* C1 as UTF-8, the CSI U+009B included */
        {"\xc2\x9b"
         "31m",
         "\\u{009b}31m"},
        {"\xc2\x80\xc2\x9f", "\\u{0080}\\u{009f}"},
        /* C1 as a raw byte: 0x9B is a one-byte CSI to some terminals */
        {"\x9b"
         "31m",
         "\\x9b31m"},
        {"\x80\x9f", "\\x80\\x9f"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_output(Util_fputs_escaped, cases[i].in, cases[i].want);
}

static void
escaped_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"\xff", "\\xff"},
        {"\xfe\xfe", "\\xfe\\xfe"},
        {"\xc3(", "\\xc3("},                 /* lead byte, no continuation */
        {"end\xc3", "end\\xc3"},             /* truncated at the end */
        {"\xe6\x97", "\\xe6\\x97"},          /* 2 of 3 bytes */
        {"\xf0\x9f\x98", "\\xf0\\x9f\\x98"}, /* 3 of 4 bytes */
        {"\xa9"
         "x",
         "\\xa9x"}, /* stray continuation */
        /* overlong encodings: '/', NUL, ESC, U+00A0 */
        {"\xc0\xaf", "\\xc0\\xaf"},
        {"\xc0\x80", "\\xc0\\x80"},
        {"\xc0\x9b", "\\xc0\\x9b"},
        {"\xc1\xbf", "\\xc1\\xbf"},
        {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},
        {"\xe0\x82\xa0", "\\xe0\\x82\\xa0"},
        {"\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf"},
        /* UTF-16 surrogates */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},
        {"\xed\xbf\xbf", "\\xed\\xbf\\xbf"},
        /* above U+10FFFF, and 5-byte forms */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
        {"\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_output(Util_fputs_escaped, cases[i].in, cases[i].want);
}

static void
escaped_bidi(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"evil\xe2\x80\xae"
         "cod.exe",
         "evil\\u{202e}cod.exe"},                             /* RLO */
        {"\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}"}, /* LRI .. PDI */
        {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
         "\\u{202a}\\u{202b}\\u{202c}\\u{202d}"},
        {"\xe2\x81\xa7\xe2\x81\xa8", "\\u{2067}\\u{2068}"},
        {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u{200e}\\u{200f}\\u{061c}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_output(Util_fputs_escaped, cases[i].in, cases[i].want);
}

static void
escaped_backslash_doubled(void **state)
{
    (void)state;
    expect_output(Util_fputs_escaped, "a\\b", "a\\\\b");
    expect_output(Util_fputs_escaped, "\\", "\\\\");
    /* Text that looks like an escape stays distinguishable from one. */
    expect_output(Util_fputs_escaped, "\\x1b", "\\\\x1b");
    expect_output(Util_fputs_escaped, "\\u{202e}", "\\\\u{202e}");
    expect_output(Util_fputs_escaped, "/tmp/a\\012b", "/tmp/a\\\\012b");
}

static void
escaped_random_is_safe_and_lossless(void **state)
{
    (void)state;
    uint64_t seed = 0x243f6a8885a308d3u;
    char in[128];
    for (int i = 0; i < 20000; i++) {
        random_text(&seed, in, sizeof(in));
        char *out = capture(Util_fputs_escaped, in);
        if (!terminal_safe(out)) {
            print_hex("input ", in);
            print_hex("output", out);
            FAIL("case %d: a terminal control got through", i);
        }
        char *same = Util_escaped(in);
        assert_string_equal(same, out);
        free(same);
        char *back = unescape(out);
        if (!back || strcmp(back, in) != 0) {
            print_hex("input ", in);
            print_hex("output", out);
            FAIL("case %d: the escaping cannot be undone to the input", i);
        }
        free(back);
        free(out);
    }
}

static void
escape_char_steps(void **state)
{
    (void)state;
    char out[UTIL_ESCAPE_MAX];
    size_t used;
    assert_int_equal(Util_escape_char("ab", out, &used), 1);
    assert_int_equal(used, 1);
    assert_memory_equal(out, "a", 1);
    assert_int_equal(Util_escape_char("\xe6\x97\xa5x", out, &used), 3);
    assert_int_equal(used, 3);
    assert_int_equal(Util_escape_char("\x1b[", out, &used), 4);
    assert_int_equal(used, 1);
    assert_memory_equal(out, "\\x1b", 4);
    assert_int_equal(Util_escape_char("\xe2\x80\xaex", out, &used), 8);
    assert_int_equal(used, 3);
    assert_memory_equal(out, "\\u{202e}", 8);
    assert_int_equal(Util_escape_char("\xe2\x80", out, &used), 4); /* truncated */
    assert_int_equal(used, 1);
    assert_int_equal(Util_escape_char("\\", out, &used), 2);
    assert_int_equal(used, 1);
}

/* ---- Util_fputs_json ---------------------------------------------------- */

static void
json_exact(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"plain text", "plain text"},
        {"say \"hi\"", "say \\\"hi\\\""},
        {"C:\\dir", "C:\\\\dir"},
        {"a/b", "a/b"},
        {"line\nnext\ttab", "line\\nnext\\ttab"},
        {"\r\b\f", "\\u000d\\u0008\\u000c"},
        {"\x01\x1b[0m\x1f", "\\u0001\\u001b[0m\\u001f"},
        {"\x7f", "\\u007f"},
        {"\xc2\x9b\xc2\x80", "\\u009b\\u0080"},
        {"\xe2\x80\xae\xe2\x81\xa6", "\\u202e\\u2066"},
        {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
         "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
        {"\xff", "\\ufffd"},
        {"a\x9b"
         "b",
         "a\\ufffdb"},
        {"\xc0\xaf", "\\ufffd\\ufffd"},
        {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},
        {"\xe6\x97", "\\ufffd\\ufffd"},
        {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_output(Util_fputs_json, cases[i].in, cases[i].want);
        char *out = capture(Util_fputs_json, cases[i].in);
        char *decoded = json_decode(out);
        if (!decoded)
            FAIL("case %zu: not a valid JSON string body", i);
        free(decoded);
        free(out);
    }
}

static void
json_random_is_valid(void **state)
{
    (void)state;
    uint64_t seed = 0x13198a2e03707344u;
    char in[128];
    for (int i = 0; i < 20000; i++) {
        random_text(&seed, in, sizeof(in));
        char *out = capture(Util_fputs_json, in);
        char *decoded = json_decode(out);
        if (!decoded) {
            print_hex("input ", in);
            print_hex("output", out);
            FAIL("case %d: not a valid JSON string body", i);
        }
        /* A JSON reader gets the input back, invalid bytes as U+FFFD. */
        char *want = replace_invalid(in);
        if (strcmp(decoded, want) != 0) {
            print_hex("input ", in);
            print_hex("output", out);
            FAIL("case %d: decodes to something else", i);
        }
        /* Printed raw to a terminal, it steers nothing either. */
        if (!terminal_safe(out)) {
            print_hex("output", out);
            FAIL("case %d: a terminal control got through", i);
        }
        free(want);
        free(decoded);
        free(out);
    }
}

/* ---- Util_read_small_file ----------------------------------------------- */

static void
read_proc_self_stat(void **state)
{
    (void)state;
    char buf[1024];
    ssize_t n = Util_read_small_file("/proc/self/stat", buf, sizeof(buf));
    assert_true(n > 20);
    assert_int_equal(strlen(buf), (size_t)n);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%d (", (int)getpid());
    assert_memory_equal(buf, prefix, strlen(prefix));
    assert_int_equal(buf[n - 1], '\n');

    /* A short buffer gets max - 1 bytes, NUL-terminated. */
    char small[8];
    memset(small, 'z', sizeof(small));
    assert_int_equal(Util_read_small_file("/proc/self/stat", small, sizeof(small)), 7);
    assert_int_equal(small[7], '\0');
    assert_memory_equal(small, buf, 7);
    assert_int_equal(Util_read_small_file("/proc/self/stat", small, 1), 0);
    assert_int_equal(small[0], '\0');
}

static void
read_errors(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(Util_read_small_file("/nonexistent/spytop/file", buf, sizeof(buf)), -ENOENT);
    assert_int_equal(Util_read_small_file("/", buf, sizeof(buf)), -EISDIR);
}

typedef struct TempDir {
    char dir[256];
    char fifo[300];
} TempDir;

static int
make_temp_dir(void **state)
{
    TempDir *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(t->dir, sizeof(t->dir), "%s/spytop-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->fifo, sizeof(t->fifo), "%s/fifo", t->dir);
    if (mkfifo(t->fifo, 0600) < 0) {
        rmdir(t->dir);
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int
remove_temp_dir(void **state)
{
    TempDir *t = *state;
    unlink(t->fifo);
    rmdir(t->dir);
    free(t);
    return 0;
}

static void
on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "Bail out! Util_read_small_file blocked on a FIFO\n";
    ssize_t n = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    (void)n;
    _exit(1);
}

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A FIFO in place of a /proc file must not hang spytop: no writer (open
 * would block without O_NONBLOCK), and a writer that never writes (read
 * would block). Either way: a prompt 0 or -errno. */
static void
read_fifo_does_not_block(void **state)
{
    TempDir *t = *state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    alarm(5);

    char buf[64];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ssize_t n = Util_read_small_file(t->fifo, buf, sizeof(buf));
    assert_true(n <= 0);
    assert_true(seconds_since(&t0) < 2.0);

    int writer = open(t->fifo, O_RDWR | O_CLOEXEC); /* holds the FIFO open */
    assert_true(writer >= 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = Util_read_small_file(t->fifo, buf, sizeof(buf));
    assert_true(n <= 0);
    assert_true(seconds_since(&t0) < 2.0);

    /* Some bytes, then nothing more: still no wait for the rest. */
    assert_int_equal(write(writer, "abc", 3), 3);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = Util_read_small_file(t->fifo, buf, sizeof(buf));
    assert_true(n <= 3);
    assert_true(seconds_since(&t0) < 2.0);
    close(writer);

    alarm(0);
    sigaction(SIGALRM, &old, NULL);
}

static void
read_regular_file(void **state)
{
    TempDir *t = *state;
    char path[320];
    snprintf(path, sizeof(path), "%s/file", t->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("name\twith \x1b bytes\n", f);
    assert_int_equal(fclose(f), 0);
    char buf[64];
    assert_int_equal(Util_read_small_file(path, buf, sizeof(buf)), 18);
    assert_string_equal(buf, "name\twith \x1b bytes\n");
    unlink(path);
}

/* xgrow: untouched while there is room, else at least double, at least
 * the need, contents kept. */
static void
grow_keeps_contents(void **state)
{
    (void)state;
    size_t cap = 0;
    uint32_t *a = xgrow(NULL, &cap, 0, sizeof(*a));
    assert_null(a);
    assert_int_equal(cap, 0);
    a = xgrow(a, &cap, 1, sizeof(*a));
    assert_non_null(a);
    assert_true(cap >= 16);
    size_t first = cap;
    for (size_t i = 0; i < cap; i++)
        a[i] = (uint32_t)i * 7;
    uint32_t *same = xgrow(a, &cap, first, sizeof(*a));
    assert_ptr_equal(same, a);
    assert_int_equal(cap, first);
    a = xgrow(a, &cap, first + 1, sizeof(*a));
    assert_int_equal(cap, 2 * first);
    a = xgrow(a, &cap, 10 * first, sizeof(*a)); /* more than double: the need */
    assert_int_equal(cap, 10 * first);
    for (size_t i = 0; i < first; i++)
        assert_int_equal(a[i], i * 7);
    a[cap - 1] = 1; /* the whole capacity is there (the sanitizer build checks) */
    free(a);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escaped_passes_text_through),
        cmocka_unit_test(escaped_controls),
        cmocka_unit_test(escaped_invalid_utf8),
        cmocka_unit_test(escaped_bidi),
        cmocka_unit_test(escaped_backslash_doubled),
        cmocka_unit_test(escaped_random_is_safe_and_lossless),
        cmocka_unit_test(escape_char_steps),
        cmocka_unit_test(json_exact),
        cmocka_unit_test(json_random_is_valid),
        cmocka_unit_test(read_proc_self_stat),
        cmocka_unit_test(read_errors),
        cmocka_unit_test_setup_teardown(read_fifo_does_not_block, make_temp_dir, remove_temp_dir),
        cmocka_unit_test_setup_teardown(read_regular_file, make_temp_dir, remove_temp_dir),
        cmocka_unit_test(grow_keeps_contents),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
