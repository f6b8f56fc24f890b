/* spytop: argv -> options -> command. The only place modules are wired
 * together. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "aggregator.h"
#include "batch.h"
#include "dump.h"
#include "live.h"
#include "options.h"
#include "symtab.h"
#include "util.h"
#include "../tui/screen.h"
#include "../tui/terminal.h"

static int
run_top(const Options *opts)
{
    if (!opts->batch && !Terminal_available()) {
        fputs("spytop: the live view needs a terminal; use --batch for plain text\n", stderr);
        return EXIT_USAGE;
    }
    Symtab *symtab = Symtab_new();
    Aggregator *agg = Aggregator_new(symtab);
    AggQuery query = {
        .mode = opts->by_line ? AGG_BY_LINE : AGG_BY_FUNCTION,
        .sort = (AggSort)opts->sort,
        .include_idle = opts->idle,
        .gil_only = opts->gil,
        .window_s = opts->window_s,
    };
    LiveOptions lo = {
        .pid = opts->pid,
        .command = opts->command_argv,
        .command_output = opts->command_output,
        .command_output_null = !opts->batch && !opts->command_output,
        .rate_hz = opts->rate_hz,
        .duration_s = opts->duration_s,
        .only_tids = opts->tid_count ? opts->tids : NULL,
        .only_tid_count = opts->tid_count,
        .stack_bytes = opts->stack_bytes,
        .max_depth = opts->max_depth,
        .native = opts->native,
        .no_python = opts->no_python,
    };
    int status;
    if (opts->batch) {
        BatchOptions bo = {
            .delay_s = opts->delay_s,
            .iterations = opts->iterations,
            .rows = opts->rows,
            .query = query,
        };
        Batch *batch = Batch_new(&bo, symtab, stdout);
        status = Live_run(&lo, Batch_view(batch), agg, symtab);
        Batch_delete(batch);
    } else {
        Screen *screen = Screen_new(symtab, &query);
        status = Live_run(&lo, Screen_view(screen), agg, symtab);
        Screen_delete(screen);
    }
    Aggregator_delete(agg);
    Symtab_delete(symtab);
    return status;
}

int
main(int argc, char **argv)
{
    Options opts;
    char *error;
    if (Options_parse(argc, argv, &opts, &error) < 0) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(error, stderr);
        fputc('\n', stderr);
        free(error);
        return EXIT_USAGE;
    }
    /* A closed pipe on stdout must not kill spytop before it detaches. */
    signal(SIGPIPE, SIG_IGN);

    switch (opts.command) {
    case CMD_HELP:
        Options_print_help(stdout);
        return EXIT_OK;
    case CMD_VERSION:
        Options_print_version(stdout);
        return EXIT_OK;
    case CMD_DUMP: {
        DumpOptions dump = {
            .pid = opts.pid,
            .json = opts.json,
            .stack_bytes = opts.stack_bytes,
            .max_depth = opts.max_depth,
            .native = opts.native,
            .no_python = opts.no_python,
        };
        int status = Dump_run(&dump, stdout, stderr);
        if (fflush(stdout) != 0 && status == EXIT_OK)
            status = EXIT_PARTIAL;
        return status;
    }
    case CMD_TOP: {
        int status = run_top(&opts);
        if (fflush(stdout) != 0 && status == EXIT_OK)
            status = EXIT_PARTIAL;
        return status;
    }
    }
    return EXIT_FATAL;
}
