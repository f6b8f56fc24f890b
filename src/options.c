#include "config.h"

#include "options.h"

#include <elfutils/version.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STACK_BYTES_MIN (8u << 10)
#define STACK_BYTES_MAX (8u << 20)
#define DEFAULT_STACK_BYTES (256u << 10)
#define DEFAULT_MAX_DEPTH 512

void
Options_print_help(FILE *f)
{
    fputs("Usage: spytop dump -p PID [--json] [OPTION...]\n"
          "       spytop [top] -p PID          (the live view: not in this version yet)\n"
          "\n"
          "Attach to a running process and show where its threads are, without\n"
          "restarting it. The target is stopped only to copy registers and stack.\n"
          "\n"
          "Commands:\n"
          "  dump                 print every thread's stack once, then detach\n"
          "\n"
          "Options:\n"
          "  -p, --pid PID        the process to attach to\n"
          "  -j, --json           dump as JSON (one object per thread, innermost frame first)\n"
          "      --stack-size N   copy at most N bytes of each thread's stack\n"
          "                       (default 256K; suffixes K, M; 8K to 8M)\n"
          "      --max-depth N    show at most N native frames per thread (default 512)\n"
          "  -h, --help           show this help and exit\n"
          "  -V, --version        show the version and the libraries used, and exit\n"
          "\n"
          "Exit status:\n"
          "  0   success\n"
          "  1   partial result: some threads could not be sampled\n"
          "  2   fatal error: no such process, permission denied, already traced, ...\n"
          "  64  usage error\n"
          "\n"
          "Attaching needs the same user as the target or root, or CAP_SYS_PTRACE,\n"
          "and a kernel.yama.ptrace_scope that allows it. See spytop(1).\n",
          f);
}

void
Options_print_version(FILE *f)
{
    fprintf(f, "spytop %s\n", PACKAGE_VERSION);
    fprintf(f, "built with libunwind, elfutils libdw %d.%03d, ncursesw\n", _ELFUTILS_VERSION / 1000,
            _ELFUTILS_VERSION % 1000);
}

static int
parse_pid(const char *s, pid_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || v > INT_MAX)
        return -1;
    *out = (pid_t)v;
    return 0;
}

static int
parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    if (*end == 'k' || *end == 'K') {
        v <<= 10;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        v <<= 20;
        end++;
    }
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

enum { OPT_STACK_SIZE = 256, OPT_MAX_DEPTH };

int
Options_parse(int argc, char **argv, Options *opts, char **error)
{
    static const struct option long_options[] = {
        {"pid", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"stack-size", required_argument, NULL, OPT_STACK_SIZE},
        {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(opts, 0, sizeof(*opts));
    opts->command = CMD_TOP;
    opts->stack_bytes = DEFAULT_STACK_BYTES;
    opts->max_depth = DEFAULT_MAX_DEPTH;
    *error = NULL;

    int first = 1;
    if (argc > 1 && argv[1][0] != '-') {
        if (strcmp(argv[1], "dump") == 0) {
            opts->command = CMD_DUMP;
        } else if (strcmp(argv[1], "top") == 0) {
            opts->command = CMD_TOP;
        } else if (strcmp(argv[1], "help") == 0) {
            opts->command = CMD_HELP;
            return 0;
        } else {
            *error = xasprintf("unknown command '%s' (try 'spytop --help')", argv[1]);
            return -1;
        }
        first = 2;
    }
    optind = 1;
    opterr = 0;
    int sub_argc = argc - first + 1;
    char **sub_argv = argv + first - 1;
    int c;
    while ((c = getopt_long(sub_argc, sub_argv, ":p:jhV", long_options, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_pid(optarg, &opts->pid) < 0) {
                *error = xasprintf("invalid PID '%s': expected a positive number", optarg);
                return -1;
            }
            break;
        case 'j':
            opts->json = true;
            break;
        case OPT_STACK_SIZE:
            if (parse_size(optarg, &opts->stack_bytes) < 0 || opts->stack_bytes < STACK_BYTES_MIN ||
                opts->stack_bytes > STACK_BYTES_MAX) {
                *error = xasprintf("invalid --stack-size '%s': expected 8K to 8M", optarg);
                return -1;
            }
            break;
        case OPT_MAX_DEPTH: {
            size_t v;
            if (parse_size(optarg, &v) < 0 || v < 1 || v > 1024) {
                *error = xasprintf("invalid --max-depth '%s': expected 1 to 1024", optarg);
                return -1;
            }
            opts->max_depth = v;
            break;
        }
        case 'h':
            opts->command = CMD_HELP;
            return 0;
        case 'V':
            opts->command = CMD_VERSION;
            return 0;
        case ':':
            *error = xasprintf("option '%s' needs a value", sub_argv[optind - 1]);
            return -1;
        default:
            *error = xasprintf("unknown option '%s' (try 'spytop --help')", sub_argv[optind - 1]);
            return -1;
        }
    }
    if (optind < sub_argc) {
        *error = xasprintf("unexpected argument '%s' (try 'spytop --help')", sub_argv[optind]);
        return -1;
    }
    if (opts->json && opts->command != CMD_DUMP) {
        *error = xstrdup("--json goes with 'spytop dump'");
        return -1;
    }
    if (opts->pid == 0) {
        *error = xstrdup("no target: give -p PID (try 'spytop --help')");
        return -1;
    }
    return 0;
}
