#include "config.h"

#include "sourcefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct SourceFile {
    char **lines;
    size_t count, cap;
};

/* One line, tabs to the next multiple of 8. */
static char *
expand_tabs(const char *s, size_t len)
{
    size_t tabs = 0;
    for (size_t i = 0; i < len; i++)
        tabs += s[i] == '\t';
    char *out = xmalloc(len + tabs * 7 + 1);
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\t') {
            out[col++] = s[i];
            continue;
        }
        do
            out[col++] = ' ';
        while (col % 8);
    }
    out[col] = '\0';
    return out;
}

SourceFile *
SourceFile_load(const char *path, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *cause = xasprintf("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    uint64_t size;
    char *why = NULL;
    if (!Util_regular_or_close(fd, path, &size, &why)) {
        *cause = why ? why : xasprintf("%s is not a regular file", path);
        return NULL;
    }
    if (size > SOURCEFILE_MAX) {
        close(fd);
        *cause = xasprintf("cannot read %s: larger than %u MiB", path, SOURCEFILE_MAX >> 20);
        return NULL;
    }
    char *text = xmalloc(size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, text + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *cause = xasprintf("cannot read %s: %s", path, strerror(errno));
            free(text);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    SourceFile *file = xcalloc(1, sizeof(*file));
    for (size_t start = 0; start < got;) {
        const char *nl = memchr(text + start, '\n', got - start);
        size_t end = nl ? (size_t)(nl - text) : got;
        file->lines = xgrow(file->lines, &file->cap, file->count + 1, sizeof(char *));
        file->lines[file->count++] = expand_tabs(text + start, end - start);
        start = end + 1;
    }
    free(text);
    return file;
}

void
SourceFile_delete(SourceFile *file)
{
    if (!file)
        return;
    for (size_t i = 0; i < file->count; i++)
        free(file->lines[i]);
    free(file->lines);
    free(file);
}

size_t
SourceFile_line_count(const SourceFile *file)
{
    return file->count;
}

const char *
SourceFile_line(const SourceFile *file, size_t n)
{
    return n >= 1 && n <= file->count ? file->lines[n - 1] : "";
}
