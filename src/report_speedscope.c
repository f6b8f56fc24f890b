/* speedscope's JSON: one sampled profile per thread. */
#include "config.h"

#include "report_speedscope.h"

#include <stdio.h>
#include <stdlib.h>

#include "recbuf.h"
#include "recreader.h"
#include "report_common.h"
#include "util.h"

static int
compare_picks_by_thread(const void *pa, const void *pb)
{
    const ReportPick *a = pa, *b = pb;
    if (a->sample->tid != b->sample->tid)
        return a->sample->tid < b->sample->tid ? -1 : 1;
    /* File order within a thread: the samples are one array. */
    return (a->sample > b->sample) - (a->sample < b->sample);
}

/* Appends v in decimal: printf per number is the bulk of a large export. */
static void
put_decimal(RecBuf *b, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    RecBuf_reserve(b, n);
    while (n)
        b->data[b->len++] = (uint8_t)digits[--n];
}

static void
json_string(const char *s, FILE *out)
{
    fputc('"', out);
    Util_fputs_json(s, out);
    fputc('"', out);
}

int
Report_speedscope(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                  FILE *out)
{
    size_t npicks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    if (npicks > 1)
        qsort(picks, npicks, sizeof(ReportPick), compare_picks_by_thread);

    /* speedscope's frames: one per name (and line, by line), numbered in
     * order of first use through a private symtab. */
    Symtab *names = Symtab_new();
    size_t nframes = Symtab_frame_count(symtab);
    uint32_t *index = xreallocarray(NULL, nframes ? nframes : 1, sizeof(uint32_t));
    for (size_t i = 0; i < nframes; i++)
        index[i] = UINT32_MAX;
    for (size_t i = 0; i < npicks; i++) {
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, picks[i].sample->stack, &depth);
        for (size_t k = 0; k < depth; k++) {
            FrameId f = frames[k];
            if (index[f] != UINT32_MAX)
                continue;
            const SymtabFrame *sf = Symtab_frame(symtab, f);
            char *name = Report_frame_name(symtab, f, options->by_line);
            SymtabFrame key = {
                .function = Symtab_intern_cstr(names, name),
                .file = Symtab_intern_cstr(names, Symtab_string(symtab, sf->file)),
                .line = options->by_line ? sf->line : 0,
            };
            free(name);
            index[f] = Symtab_intern_frame(names, &key);
        }
    }

    const RecHeader *h = RecReader_header(reader);
    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", out);
    fputs("\"exporter\":\"spytop " PACKAGE_VERSION "\",\n\"name\":", out);
    char *title = xasprintf("PID %d %s", (int)h->pid, h->command[0] ? h->command : h->exe);
    json_string(title, out);
    free(title);
    fputs(",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < Symtab_frame_count(names); i++) {
        const SymtabFrame *f = Symtab_frame(names, (FrameId)i);
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        json_string(Symtab_string(names, f->function), out);
        const char *file = Symtab_string(names, f->file);
        if (file[0]) {
            fputs(",\"file\":", out);
            json_string(file, out);
        }
        if (f->line)
            fprintf(out, ",\"line\":%u", f->line);
        fputc('}', out);
    }
    fputs("]},\n\"profiles\":[", out);
    uint64_t start = h->start_mono_ns;
    RecBuf line = {0};
    for (size_t i = 0; i < npicks;) {
        pid_t tid = picks[i].sample->tid;
        size_t end = i;
        uint64_t total = 0;
        while (end < npicks && picks[end].sample->tid == tid)
            total += picks[end++].weight_ns;
        /* The profile ends at its last sample and starts its weights
         * earlier. */
        uint64_t first = picks[i].sample->t_ns > start ? picks[i].sample->t_ns - start : 0;
        uint64_t begin = first > picks[i].weight_ns ? first - picks[i].weight_ns : 0;
        fputs(i ? ",\n{\"type\":\"sampled\",\"name\":" : "\n{\"type\":\"sampled\",\"name\":", out);
        char *label = Report_thread_label(reader, symtab, tid);
        json_string(label, out);
        free(label);
        fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":%llu,\"endValue\":%llu,\n",
                (unsigned long long)begin, (unsigned long long)(begin + total));
        fputs("\"samples\":[", out);
        for (size_t k = i; k < end; k++) {
            size_t depth;
            const FrameId *frames = Symtab_stack(symtab, picks[k].sample->stack, &depth);
            line.len = 0;
            if (k > i)
                RecBuf_put_u8(&line, ',');
            RecBuf_put_u8(&line, '[');
            for (size_t d = depth; d-- > 0;) {
                put_decimal(&line, index[frames[d]]);
                if (d)
                    RecBuf_put_u8(&line, ',');
            }
            RecBuf_put_u8(&line, ']');
            fwrite(line.data, 1, line.len, out);
        }
        fputs("],\n\"weights\":[", out);
        line.len = 0;
        for (size_t k = i; k < end; k++) {
            if (k > i)
                RecBuf_put_u8(&line, ',');
            put_decimal(&line, picks[k].weight_ns);
            if (line.len > 65536) {
                fwrite(line.data, 1, line.len, out);
                line.len = 0;
            }
        }
        fwrite(line.data, 1, line.len, out);
        fputs("]}", out);
        i = end;
    }
    fputs("]}\n", out);
    RecBuf_done(&line);
    free(index);
    Symtab_delete(names);
    free(picks);
    return Report_finish(out);
}
