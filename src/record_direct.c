#include "config.h"

#include "record_direct.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "exit_codes.h"
#include "outfile.h"
#include "util.h"

/* The names that say a format, longest first where one ends another. */
static const struct {
    const char *suffix;
    ReportFormat format;
} suffixes[] = {
    {".speedscope.json", REPORT_SPEEDSCOPE},
    {".chrome.json", REPORT_CHROME},
    {".gecko.json", REPORT_GECKO},
    {".svg", REPORT_SVG},
    {".pb.gz", REPORT_PPROF},
    {".pb", REPORT_PPROF},
    {".pprof", REPORT_PPROF},
    {".folded", REPORT_COLLAPSED},
    {".collapsed", REPORT_COLLAPSED},
    {".txt", REPORT_TEXT},
};

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcasecmp(s + n - m, suffix) == 0 && s[n - m - 1] != '/';
}

int
RecordDirect_choose(const char *format, const char *output, ReportFormat *chosen, bool *direct,
                    char **error)
{
    *direct = false;
    *error = NULL;
    if (format) {
        if (strcmp(format, "spytop") == 0)
            return 0;
        if (!Report_parse_format(format, chosen)) {
            *error = xasprintf("unknown --format '%s': expected spytop (the recording, the "
                               "default), text, collapsed (folded), speedscope, pprof, svg "
                               "(flamegraph), chrome (chrometrace) or gecko (firefox)",
                               format);
            return -1;
        }
        *direct = true;
        return 0;
    }
    if (!output)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
        if (ends_with(output, suffixes[i].suffix)) {
            *chosen = suffixes[i].format;
            *direct = true;
            return 0;
        }
    }
    if (ends_with(output, ".json")) {
        *error = xasprintf("'%s': a .json name does not say which format: give -f speedscope, "
                           "chrome or gecko (or name it .speedscope.json, .chrome.json or "
                           ".gecko.json)",
                           output);
        return -1;
    }
    return 0;
}

const char *
RecordDirect_suffix(ReportFormat format)
{
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
        if (suffixes[i].format == format)
            return suffixes[i].suffix;
    return ".out";
}

static void
print_cause(char *cause)
{
    fputs("spytop: ", stderr);
    Util_fputs_escaped(cause, stderr);
    fputc('\n', stderr);
    free(cause);
}

static bool
is_stdout(const char *output)
{
    return output && strcmp(output, "-") == 0;
}

/* The scratch recording: OUTPUT.XXXXXX.spytop next to the output (so it is
 * found there if spytop is killed), in $TMPDIR for /dev/null and stdout.
 * Mode 0600.
 * A descriptor and *path, or -1 (said). */
static int
scratch_open(const char *output, char **path)
{
    if (!output) {
        *path = xstrdup("spytop-record.XXXXXX.spytop");
    } else if (is_stdout(output) || Outfile_is_null(output)) {
        const char *tmp = getenv("TMPDIR");
        *path = xasprintf("%s/spytop-record.XXXXXX.spytop", tmp && *tmp ? tmp : "/tmp");
    } else {
        *path = xasprintf("%s.XXXXXX.spytop", output);
    }
    int fd = mkostemps(*path, (int)strlen(".spytop"), O_CLOEXEC);
    if (fd < 0)
        print_cause(
            xasprintf("cannot create a scratch recording '%s': %s", *path, strerror(errno)));
    return fd;
}

/* The export failed, or the recording did: the samples stay where they are. */
static void
say_kept(const char *scratch, ReportFormat format, const char *output)
{
    fputs("spytop: the samples are kept in ", stderr);
    Util_fputs_escaped(scratch, stderr);
    fputs(": spytop report ", stderr);
    Util_fputs_escaped(scratch, stderr);
    fprintf(stderr, " --format %s", Report_format_name(format));
    if (output) {
        fputs(" -o ", stderr);
        Util_fputs_escaped(output, stderr);
    }
    fputc('\n', stderr);
}

int
RecordDirect_run(const RecordOptions *record, const ExportOptions *export, Aggregator *agg,
                 Symtab *symtab)
{
    char *cause = NULL;
    if (export->output && !is_stdout(export->output) &&
        !Outfile_check_new(export->output, export->force, &cause)) {
        print_cause(cause);
        return EXIT_FATAL;
    }
    char *scratch = NULL;
    int fd = scratch_open(export->output, &scratch);
    if (fd < 0) {
        free(scratch);
        return EXIT_FATAL;
    }
    RecordOptions ro = *record;
    ro.output = scratch;
    ro.force = false;
    ro.scratch = true;
    ro.scratch_fd = fd;
    RecordResult res;
    int status = Record_run(&ro, agg, symtab, &res);
    char *output = NULL;
    if (!res.opened) {
        unlink(scratch); /* nothing was recorded */
    } else if (res.failed) {
        say_kept(scratch, export->format, export->output);
    } else {
        ExportOptions eo = *export;
        output = export->output ? xstrdup(export->output)
                                : Record_default_name(res.pid, res.started,
                                                      RecordDirect_suffix(export->format));
        eo.output = output;
        size_t samples = 0;
        int written = Export_run(scratch, &eo, &samples);
        if (written == EXIT_OK) {
            unlink(scratch);
            fputs("spytop: wrote ", stderr);
            Util_fputs_escaped(is_stdout(output) ? "standard output" : output, stderr);
            fprintf(stderr, " (%s): %.1f s, %zu samples", Report_format_name(export->format),
                    res.seconds, samples);
            if (res.processes > 1)
                fprintf(stderr, " of %zu processes", res.processes);
            fputc('\n', stderr);
        } else if (written == EXIT_PARTIAL && is_stdout(output)) {
            unlink(scratch); /* stdout's reader went away (| head): say nothing */
            status = EXIT_PARTIAL;
        } else {
            say_kept(scratch, export->format, output);
            status = EXIT_FATAL;
        }
    }
    free(output);
    free(scratch);
    return status;
}
