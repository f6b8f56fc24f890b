/* What the harnesses of tests/fuzz/ share. Each harness defines libFuzzer's
 * entry point; replay.c gives it a main() that feeds it files, for builds
 * without libFuzzer (make check replays tests/fuzz/regressions/ with it). */
#ifndef SPYTOP_TESTS_FUZZ_FUZZ_H
#define SPYTOP_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property every input must keep; a broken one aborts, which libFuzzer
 * and the sanitizers report as a crash with this input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The whole of a file, in a buffer the caller frees (errno set on NULL). */
uint8_t *Fuzz_read_file(const char *path, size_t *size);

/* Reads a recording from memory as `spytop report` reads a file, checks
 * what the reader says it recovered, then writes every report of it. */
void Fuzz_recording(const uint8_t *data, size_t size);

#endif
