/* speedscope's JSON: one sampled profile per thread (named after its
 * process too when the recording holds several), its time axis the
 * recording's: each sample lasts its span (Report_spans), and the time
 * before a thread's first sample and between samples left out is an
 * empty sample. */
#include "config.h"

#include "report_speedscope.h"

#include <stdio.h>
#include <stdlib.h>

#include "recbuf.h"
#include "recreader.h"
#include "report_common.h"
#include "report_frames.h"
#include "util.h"

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

int
Report_speedscope(const RecReader *reader, const Symtab *symtab, const ReportOptions *options,
                  FILE *out)
{
    size_t npicks;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    Report_sort_by_thread(picks, npicks);
    ReportFrames rf;
    ReportFrames_init(&rf, symtab, picks, npicks, options);
    ReportSpan *spans = xreallocarray(NULL, npicks ? npicks : 1, sizeof(ReportSpan));

    bool by_process = Report_by_process(reader, options);
    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", out);
    fputs("\"exporter\":\"spytop " PACKAGE_VERSION "\",\n\"name\":", out);
    char *title = Report_title(reader, symtab, options);
    Util_fputs_json_string(title, out);
    free(title);
    fputs(",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", out);
    for (uint32_t i = 0; i < rf.count; i++) {
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        Util_fputs_json_string(ReportFrames_name(&rf, i), out);
        const char *file = ReportFrames_file(&rf, i);
        if (file[0]) {
            fputs(",\"file\":", out);
            Util_fputs_json_string(file, out);
        }
        if (ReportFrames_line(&rf, i))
            fprintf(out, ",\"line\":%u", ReportFrames_line(&rf, i));
        fputc('}', out);
    }
    fputs("]},\n\"profiles\":[", out);
    RecBuf line = {0}, weights = {0};
    for (size_t i = 0; i < npicks;) {
        pid_t tid = picks[i].sample->tid;
        size_t end = i;
        while (end < npicks && Report_same_thread(picks[end].sample, picks[i].sample))
            end++;
        /* The profile's time is its samples' spans, from the start of the
         * selection: the time before a thread's first sample (attaching,
         * or before it was born) and that of samples left out between two
         * kept ones (idle ones, or without a stack) are empty samples, so
         * the time axis is the recording's. */
        Report_spans(reader, picks + i, end - i, spans + i);
        uint64_t begin = options->from_ns < spans[i].start ? options->from_ns : spans[i].start;
        fputs(i ? ",\n{\"type\":\"sampled\",\"name\":" : "\n{\"type\":\"sampled\",\"name\":", out);
        char *label = Report_thread_label(reader, symtab, tid);
        if (by_process) {
            char *process = Report_process_label(reader, symtab, picks[i].sample->pid);
            char *both = xasprintf("%s: %s", process, label);
            free(process);
            free(label);
            label = both;
        }
        Util_fputs_json_string(label, out);
        free(label);
        line.len = weights.len = 0;
        if (spans[i].start > begin) {
            RecBuf_put(&line, "[]", 2);
            put_decimal(&weights, spans[i].start - begin);
        }
        for (size_t k = i; k < end; k++) {
            if (k > i && spans[k].start > spans[k - 1].end) {
                RecBuf_put(&line, ",[]", 3);
                RecBuf_put_u8(&weights, ',');
                put_decimal(&weights, spans[k].start - spans[k - 1].end);
            }
            if (line.len)
                RecBuf_put_u8(&line, ',');
            RecBuf_put_u8(&line, '[');
            size_t depth;
            const FrameId *frames = Symtab_stack(symtab, picks[k].sample->stack, &depth);
            for (size_t d = depth; d-- > 0;) {
                put_decimal(&line, rf.index[frames[d]]);
                if (d)
                    RecBuf_put_u8(&line, ',');
            }
            RecBuf_put_u8(&line, ']');
            if (weights.len)
                RecBuf_put_u8(&weights, ',');
            put_decimal(&weights, spans[k].end - spans[k].start);
        }
        fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":%llu,\"endValue\":%llu,\n",
                (unsigned long long)begin, (unsigned long long)spans[end - 1].end);
        fputs("\"samples\":[", out);
        fwrite(line.data, 1, line.len, out);
        fputs("],\n\"weights\":[", out);
        fwrite(weights.data, 1, weights.len, out);
        fputs("]}", out);
        i = end;
    }
    fputs("]}\n", out);
    RecBuf_done(&line);
    RecBuf_done(&weights);
    free(spans);
    ReportFrames_done(&rf);
    free(picks);
    return Report_finish(out);
}
