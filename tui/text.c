#include "config.h"

#include "text.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util.h"

#define TEXT_MAX 1024

static bool
is_bidi_control(wchar_t c)
{
    return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
           c == 0x200f || c == 0x061c;
}

/* Decodes and escapes into wide characters; returns the count. */
static size_t
escape_wide(const char *s, wchar_t *out, size_t max)
{
    size_t n = 0;
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    const char *p = s;
    size_t left = strlen(s);
    while (left && n + 8 < max) {
        wchar_t c;
        size_t len = mbrtowc(&c, p, left, &st);
        if (len == (size_t)-1 || len == (size_t)-2) {
            n += (size_t)swprintf(out + n, max - n, L"\\x%02x", (unsigned char)*p);
            memset(&st, 0, sizeof(st));
            p++;
            left--;
            continue;
        }
        if (len == 0)
            break;
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || is_bidi_control(c) ||
            wcwidth(c) < 0) {
            if (c < 0x100)
                n += (size_t)swprintf(out + n, max - n, L"\\x%02x", (unsigned)c);
            else
                n += (size_t)swprintf(out + n, max - n, L"\\u{%04x}", (unsigned)c);
        } else {
            out[n++] = c;
        }
        p += len;
        left -= len;
    }
    out[n] = L'\0';
    return n;
}

static int
width_of(const wchar_t *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++) {
        int cw = wcwidth(s[i]);
        w += cw > 0 ? cw : 0;
    }
    return w;
}

int
Text_fit(const char *s, int width, wchar_t *out, size_t out_len)
{
    wchar_t buf[TEXT_MAX];
    size_t n = escape_wide(s, buf, TEXT_MAX);
    if (width <= 0 || out_len < 2) {
        if (out_len)
            out[0] = L'\0';
        return 0;
    }
    int total = width_of(buf, n);
    if (total <= width && n < out_len) {
        wmemcpy(out, buf, n + 1);
        return total;
    }
    /* Keep the start, where a name or a line says what it is, and mark the cut. */
    size_t o = 0;
    int w = 0;
    for (size_t i = 0; i < n && o + 2 < out_len; i++) {
        int cw = wcwidth(buf[i]);
        if (cw < 0)
            cw = 0;
        if (w + cw > width - 1)
            break;
        out[o++] = buf[i];
        w += cw;
    }
    out[o++] = MB_CUR_MAX > 1 ? L'\u2026' : L'~';
    out[o] = L'\0';
    return w + 1;
}

void
Text_draw(int y, int x, const char *s, int width, int pad)
{
    if (width <= 0)
        return;
    wchar_t out[TEXT_MAX];
    int used = Text_fit(s, width, out, TEXT_MAX);
    mvaddwstr(y, x, out);
    if (pad)
        for (int i = used; i < width; i++)
            addch(' ');
}
