/* libFuzzer harness: any bytes as a .spytop file, read and reported as
 * `spytop report` would. Checksums and zlib guard each chunk, so this one
 * mostly tries the framing: headers, lengths, cuts, unknown chunks. The
 * payload parsers behind them are fuzz_recchunks.c's job. */
#include "config.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Fuzz_recording(data, size);
    return 0;
}
