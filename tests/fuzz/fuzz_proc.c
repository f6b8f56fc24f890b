/* libFuzzer harness for the /proc parsers: the input, NUL-terminated, as
 * the text of /proc/PID/stat, /proc/PID/status and /proc/PID/maps. A
 * target controls its comm and the paths it maps, so these bytes are
 * partly the target's to choose. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "proc.h"
#include "util.h"

static void
fuzz_maps(const char *text)
{
    ProcMaps maps;
    FUZZ_CHECK(Proc_maps_parse(text, &maps) == 0);
    for (size_t i = 0; i < maps.count; i++) {
        const ProcMap *m = &maps.maps[i];
        FUZZ_CHECK(m->start <= m->end);
        FUZZ_CHECK(m->path != NULL);
        FUZZ_CHECK(strchr(m->path, '\n') == NULL);
        /* The lookup on the map's own bounds: wrong answers are allowed
         * for unsorted input, reading out of bounds is not. */
        Proc_maps_find(&maps, m->start);
        Proc_maps_find(&maps, m->end);
    }
    Proc_maps_find(&maps, 0);
    Proc_maps_find(&maps, UINT64_MAX);
    Proc_maps_done(&maps);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);

    ProcStat stat;
    int err = Proc_parse_stat(text, &stat);
    FUZZ_CHECK(err == 0 || err == -EINVAL);
    if (err == 0) {
        FUZZ_CHECK(stat.state != '\0' && stat.state != ' ');
        FUZZ_CHECK(Proc_state_name(stat.state) != NULL);
    }

    int tracer = Proc_parse_tracer_pid(text);
    FUZZ_CHECK(tracer >= 0 || tracer == -EINVAL);

    fuzz_maps(text);
    free(text);
    return 0;
}
