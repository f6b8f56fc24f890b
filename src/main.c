/* spytop: argv -> options -> command. The only place modules are wired
 * together. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "dump.h"
#include "options.h"
#include "util.h"

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
        };
        int status = Dump_run(&dump, stdout, stderr);
        if (fflush(stdout) != 0 && status == EXIT_OK)
            status = EXIT_PARTIAL;
        return status;
    }
    case CMD_TOP:
        fprintf(stderr, "spytop: the live view is not in this version yet; "
                        "use 'spytop dump -p %d' for the stacks now\n",
                (int)opts.pid);
        return EXIT_USAGE;
    }
    return EXIT_FATAL;
}
