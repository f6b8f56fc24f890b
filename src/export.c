#include "config.h"

#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_codes.h"
#include "outfile.h"
#include "recreader.h"
#include "symtab.h"
#include "util.h"

static void
print_cause(const char *cause)
{
    fputs("spytop: ", stderr);
    Util_fputs_escaped(cause, stderr);
    fputc('\n', stderr);
}

/* stdout, or a new file (never truncating one that exists without force,
 * never through a symlink). NULL when refused (said). */
static FILE *
open_output(const char *path, bool force)
{
    if (!path || strcmp(path, "-") == 0)
        return stdout;
    char *cause = NULL;
    bool created;
    int fd = Outfile_open(path, force, 0644, &created, &cause);
    if (fd < 0) {
        print_cause(cause);
        free(cause);
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        fprintf(stderr, "spytop: fdopen: %s\n", strerror(errno));
        close(fd);
    }
    return f;
}

int
Export_run(const char *path, const ExportOptions *options, size_t *samples)
{
    Symtab *symtab = Symtab_new();
    char *cause = NULL;
    RecReader *reader = RecReader_open(path, symtab, &cause);
    if (!reader) {
        print_cause(cause ? cause : "cannot read the recording");
        free(cause);
        Symtab_delete(symtab);
        return EXIT_FATAL;
    }
    if (samples)
        RecReader_samples(reader, samples);
    const RecStatus *st = RecReader_status(reader);
    char *no_process =
        options->report.pid ? RecReader_no_process(reader, path, options->report.pid) : NULL;
    if (no_process) {
        print_cause(no_process);
        free(no_process);
        RecReader_delete(reader);
        Symtab_delete(symtab);
        return EXIT_FATAL;
    }
    int status = EXIT_OK;
    FILE *out = open_output(options->output, options->force);
    if (!out) {
        status = EXIT_FATAL;
    } else {
        int r = Report_write(options->format, reader, symtab, &options->report, out);
        if (out != stdout && fclose(out) != 0 && r == 0)
            r = -errno;
        if (r == -EPIPE) {
            status = EXIT_PARTIAL; /* the reader went away (| head): say nothing */
        } else if (r < 0) {
            fprintf(stderr, "spytop: writing the %s report failed: %s\n",
                    Report_format_name(options->format), strerror(-r));
            status = EXIT_FATAL;
        }
    }
    if (!st->complete) {
        print_cause(st->message);
        if (status == EXIT_OK)
            status = EXIT_PARTIAL;
    }
    RecReader_delete(reader);
    Symtab_delete(symtab);
    return status;
}
