/* Folded stacks, one line per distinct stack, for flamegraph.pl & co.;
 * with several processes, each under a root frame of its own ("PID 12
 * command"), above its threads'. */
#include "config.h"

#include "report_collapsed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recbuf.h"
#include "report_common.h"
#include "util.h"

/* A frame as folded stacks can carry it: no ';' (the separator), and
 * escaped as for the terminal (Util_fputs_escaped): no line breaks, no
 * control characters, C1 or bidi controls, no invalid UTF-8. */
static void
put_folded(RecBuf *line, const char *s)
{
    while (*s) {
        char buf[UTIL_ESCAPE_MAX];
        size_t used, n = Util_escape_char(s, buf, &used);
        if (n == 1 && buf[0] == ';')
            buf[0] = ':';
        RecBuf_put(line, buf, n);
        s += used;
    }
}

static int
compare_lines(const void *pa, const void *pb)
{
    return strcmp(*(char *const *)pa, *(char *const *)pb);
}

int
Report_collapsed(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                 FILE *out)
{
    size_t npicks, nstacks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    bool by_process = Report_by_process(reader, options);
    ReportStackCount *counts =
        Report_count_stacks(picks, npicks, options->thread_roots, by_process, &nstacks);
    char **lines = xcalloc(nstacks ? nstacks : 1, sizeof(char *));
    RecBuf line = {0};
    for (size_t i = 0; i < nstacks; i++) {
        line.len = 0;
        if (by_process) {
            char *label = Report_process_label(reader, symtab, counts[i].pid);
            put_folded(&line, label);
            free(label);
        }
        if (options->thread_roots) {
            if (line.len)
                RecBuf_put_u8(&line, ';');
            char *label = Report_thread_label(reader, symtab, counts[i].tid);
            put_folded(&line, label);
            free(label);
        }
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, counts[i].stack, &depth);
        for (size_t k = depth; k-- > 0;) {
            if (line.len)
                RecBuf_put_u8(&line, ';');
            char *name =
                Report_frame_name(symtab, frames[k], options->by_line, options->full_paths);
            put_folded(&line, name);
            free(name);
        }
        char count[32];
        snprintf(count, sizeof(count), " %llu", (unsigned long long)counts[i].count);
        RecBuf_put(&line, count, strlen(count) + 1);
        lines[i] = xstrdup((const char *)line.data);
    }
    if (nstacks > 1)
        qsort(lines, nstacks, sizeof(char *), compare_lines);
    for (size_t i = 0; i < nstacks; i++) {
        fputs(lines[i], out);
        fputc('\n', out);
        free(lines[i]);
    }
    RecBuf_done(&line);
    free(lines);
    free(counts);
    free(picks);
    return Report_finish(out);
}
