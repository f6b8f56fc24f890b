/* A main() for a harness when libFuzzer is not linked: feeds it each file
 * named (a directory: each file in it), so make check replays the inputs
 * that once crashed in every build. With --prefixes it also feeds every
 * prefix of each file: a recording cut at every offset.
 *
 *   replay_recfile [--prefixes] FILE|DIR...
 *
 * Exits 0 when every input ran; a crash aborts with the sanitizers' report
 * after the input's name on stderr. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static size_t inputs;

/* One input in a buffer of exactly its size, so that reading past its end
 * is caught by AddressSanitizer. */
static void
run(const uint8_t *data, size_t size)
{
    uint8_t *copy = xmalloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
    inputs++;
}

static int
replay_file(const char *path, bool prefixes)
{
    size_t len;
    uint8_t *data = Fuzz_read_file(path, &len);
    if (!data) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(stderr, "replay: %s (%zu bytes%s)\n", path, len, prefixes ? ", every prefix" : "");
    if (prefixes)
        for (size_t cut = 0; cut < len; cut++)
            run(data, cut);
    run(data, len);
    free(data);
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *path, bool prefixes)
{
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        names = xreallocarray(names, n + 1, sizeof(*names));
        names[n++] = xasprintf("%s/%s", path, de->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof(*names), compare_names);
    int err = 0;
    for (size_t i = 0; i < n; i++) {
        if (replay_file(names[i], prefixes) != 0)
            err = -1;
        free(names[i]);
    }
    free(names);
    return err;
}

int
main(int argc, char **argv)
{
    bool prefixes = false;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--prefixes") == 0) {
        prefixes = true;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--prefixes] FILE|DIR...\n", argv[0]);
        return 64;
    }
    int status = 0;
    for (int i = first; i < argc; i++) {
        struct stat st;
        int err;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            err = -1;
        } else if (S_ISDIR(st.st_mode)) {
            err = replay_dir(argv[i], prefixes);
        } else {
            err = replay_file(argv[i], prefixes);
        }
        if (err)
            status = 2;
    }
    fprintf(stderr, "replay: %zu inputs\n", inputs);
    return status;
}
