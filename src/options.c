#include "config.h"

#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

#define STACK_BYTES_MIN (8u << 10)
#define STACK_BYTES_MAX (8u << 20)
#define DEFAULT_STACK_BYTES (256u << 10)
#define DEFAULT_NICE (-10)
#define DEFAULT_MAX_DEPTH 512

void
Options_print_help(FILE *f)
{
    fputs("Usage: spytop [top] -p PID [OPTION...]       live view of where threads spend time\n"
          "       spytop [top] [OPTION...] -- COMMAND [ARG...]\n"
          "       spytop dump -p PID [--json] [OPTION...]\n"
          "       spytop record -p PID [-o FILE] [-d SECONDS] [OPTION...]   (or -- COMMAND)\n"
          "       spytop view FILE\n"
          "       spytop report FILE [--format F] [-o OUT] [--from S] [--to S] [--thread TID]\n"
          "\n"
          "Attach to a running process and show where its threads spend their time,\n"
          "without restarting it. The target is stopped only to copy registers and\n"
          "stack; unwinding and symbols are done after it resumes.\n"
          "\n"
          "Commands:\n"
          "  top                  live hot-spot view (the default); with -- COMMAND, start\n"
          "                       COMMAND, profile it, and exit with its exit status\n"
          "  dump                 print every thread's stack once, then detach\n"
          "  record               record samples to a .spytop file (default\n"
          "                       spytop-PID-YYYYmmdd-HHMMSS.spytop) until Ctrl-C, -d, or exit\n"
          "  view FILE            a recording in the live view, with a timeline\n"
          "  report FILE          export a recording: --format text (default), collapsed,\n"
          "                       speedscope, pprof or svg\n"
          "\n"
          "Options:\n"
          "  -p, --pid PID        the process to attach to\n"
          "  -r, --rate HZ        samples per second (default 100; 1 to 10000)\n"
          "  -d, --duration S     stop after S seconds (default: until quit or exit)\n"
          "  -i, --idle           count threads that are not running (sleeping, waiting)\n"
          "      --threads T,...  sample only these thread ids\n"
          "      --window S       percentages cover the last S seconds (1 to 60; default 5)\n"
          "      --by-line        one row per source line instead of per function\n"
          "      --sort KEY       own, total, owntime or totaltime (default own)\n"
          "  -b, --batch          no screen: print a table every --delay seconds\n"
          "  -n, --iterations N   with --batch: stop after N tables\n"
          "      --delay S        with --batch: seconds between tables (default 1; may be\n"
          "                       fractional)\n"
          "      --rows N         with --batch: rows per table (default 20)\n"
          "      --command-output FILE\n"
          "                       with -- COMMAND on the live screen: append the command's\n"
          "                       output to FILE (default: discarded, not to garble the screen)\n"
          "  -g, --gil            only samples of the thread holding Python's GIL\n"
          "      --native         keep every native frame, the Python interpreter's too\n"
          "      --no-python      do not read Python frames (native frames only)\n"
          "  -j, --json           dump as JSON (one object per thread, innermost frame first)\n"
          "  -o, --output FILE    record: the recording; report: the export (default stdout)\n"
          "      --force          record: overwrite an existing file\n"
          "  -f, --format F       report: text, collapsed, speedscope, pprof or svg\n"
          "      --from S, --to S report: only samples from S to S seconds into the recording\n"
          "      --thread TID     report: only this thread\n"
          "      --stack-size N   copy at most N bytes of each thread's stack\n"
          "                       (default 256K; suffixes K, M; 8K to 8M)\n"
          "      --max-depth N    keep at most N native frames per thread (default 512)\n"
          "      --nice N         spytop's own nice value while attached (-20 to 19;\n"
          "                       default -10 where permitted): a tracer that is not\n"
          "                       preempted holds the target's threads stopped less long\n"
          "  -h, --help           show this help and exit\n"
          "  -V, --version        show the version and the libraries used, and exit\n"
          "\n"
          "Keys in the live view: q quit, ? help (all keys), space pause, 1-4 sort,\n"
          "l lines, t threads, i idle, g GIL, w window, / filter, Enter callers, r reset.\n"
          "\n"
          "Exit status:\n"
          "  0   success (with -- COMMAND: the command's own exit status)\n"
          "  1   partial result: some threads could not be sampled\n"
          "  2   fatal error: no such process, permission denied, already traced, ...\n"
          "  64  usage error\n"
          "\n"
          "Attaching needs the same user as the target or root, or CAP_SYS_PTRACE,\n"
          "and a kernel.yama.ptrace_scope that allows it. See spytop(1).\n",
          f);
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
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K') {
        shift = 10;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        shift = 20;
        end++;
    }
    if (*end || v > (SIZE_MAX >> shift))
        return -1;
    v <<= shift;
    *out = (size_t)v;
    return 0;
}

static int
parse_seconds(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max))
        return -1;
    *out = v;
    return 0;
}

static int
parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int
parse_tids(const char *s, Options *opts)
{
    char *copy = xstrdup(s);
    int r = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (opts->tid_count == OPTIONS_MAX_TIDS ||
            parse_pid(tok, &opts->tids[opts->tid_count]) < 0) {
            r = -1;
            break;
        }
        opts->tid_count++;
    }
    free(copy);
    return opts->tid_count ? r : -1;
}

static int
parse_sort(const char *s)
{
    static const char *const names[] = {"own", "total", "owntime", "totaltime"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i; /* AGG_SORT_OWN_PCT .. AGG_SORT_TOTAL_TIME */
    return -1;
}

/* The knobs read from the environment: here only, once. */
static void
read_environment(Options *opts)
{
    const char *memo = getenv("SPYTOP_UNWIND_MEMO");
    opts->unwind_memo_off = memo && strcmp(memo, "0") == 0;
    opts->unwind_memo_check = memo && strcmp(memo, "check") == 0;
    const char *ms = getenv("SPYTOP_FAULT_ATTACH_DELAY_MS");
    if (ms && *ms)
        opts->fault_attach_delay_ms = (unsigned)(strtoul(ms, NULL, 10) % 60000);
}

enum {
    OPT_STACK_SIZE = 256,
    OPT_MAX_DEPTH,
    OPT_THREADS,
    OPT_DELAY,
    OPT_ROWS,
    OPT_WINDOW,
    OPT_BY_LINE,
    OPT_SORT,
    OPT_COMMAND_OUTPUT,
    OPT_NATIVE,
    OPT_NO_PYTHON,
    OPT_NICE,
    OPT_FORCE,
    OPT_FROM,
    OPT_TO,
    OPT_THREAD,
};

int
Options_parse(int argc, char **argv, Options *opts, char **error)
{
    static const struct option long_options[] = {
        {"pid", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"stack-size", required_argument, NULL, OPT_STACK_SIZE},
        {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"idle", no_argument, NULL, 'i'},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"batch", no_argument, NULL, 'b'},
        {"iterations", required_argument, NULL, 'n'},
        {"delay", required_argument, NULL, OPT_DELAY},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"by-line", no_argument, NULL, OPT_BY_LINE},
        {"sort", required_argument, NULL, OPT_SORT},
        {"command-output", required_argument, NULL, OPT_COMMAND_OUTPUT},
        {"gil", no_argument, NULL, 'g'},
        {"native", no_argument, NULL, OPT_NATIVE},
        {"no-python", no_argument, NULL, OPT_NO_PYTHON},
        {"nice", required_argument, NULL, OPT_NICE},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"format", required_argument, NULL, 'f'},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"thread", required_argument, NULL, OPT_THREAD},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(opts, 0, sizeof(*opts));
    opts->command = CMD_TOP;
    opts->stack_bytes = DEFAULT_STACK_BYTES;
    opts->max_depth = DEFAULT_MAX_DEPTH;
    opts->rate_hz = 100;
    opts->delay_s = 1.0;
    opts->rows = 0; /* the command's own default */
    opts->window_s = 5;
    opts->nice = DEFAULT_NICE;
    opts->to_s = -1;
    read_environment(opts);
    *error = NULL;

    int first = 1;
    if (argc > 1 && argv[1][0] != '-') {
        if (strcmp(argv[1], "dump") == 0) {
            opts->command = CMD_DUMP;
        } else if (strcmp(argv[1], "record") == 0) {
            opts->command = CMD_RECORD;
        } else if (strcmp(argv[1], "view") == 0) {
            opts->command = CMD_VIEW;
        } else if (strcmp(argv[1], "report") == 0) {
            opts->command = CMD_REPORT;
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
    optind = 0; /* 0, not 1: also forgets a half-read "-abc" of an earlier parse */
    opterr = 0;
    int sub_argc = argc - first + 1;
    char **sub_argv = argv + first - 1;
    int c;
    /* "+": stop at the first non-option, so that "-- COMMAND ARGS" and a
     * command's own options are left alone. */
    for (;;) {
        c = getopt_long(sub_argc, sub_argv, "+:p:jhVr:d:ibn:go:f:", long_options, NULL);
        if (c == -1) {
            /* view and report take the recording's name, options around it. */
            if ((opts->command == CMD_VIEW || opts->command == CMD_REPORT) && !opts->file &&
                optind < sub_argc && strcmp(sub_argv[optind - 1], "--") != 0) {
                opts->file = sub_argv[optind++];
                continue;
            }
            break;
        }
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
        case 'r':
            if (parse_uint(optarg, 1, 10000, &opts->rate_hz) < 0) {
                *error = xasprintf("invalid --rate '%s': expected 1 to 10000 samples per second",
                                   optarg);
                return -1;
            }
            break;
        case 'd':
            if (parse_seconds(optarg, 0.001, 1e7, &opts->duration_s) < 0) {
                *error =
                    xasprintf("invalid --duration '%s': expected seconds, more than 0", optarg);
                return -1;
            }
            break;
        case 'i':
            opts->idle = true;
            break;
        case OPT_THREADS:
            if (parse_tids(optarg, opts) < 0) {
                *error = xasprintf("invalid --threads '%s': expected thread ids separated by "
                                   "commas (at most %d)",
                                   optarg, OPTIONS_MAX_TIDS);
                return -1;
            }
            break;
        case 'b':
            opts->batch = true;
            break;
        case 'n':
            if (parse_uint(optarg, 1, 1000000000, &opts->iterations) < 0) {
                *error = xasprintf("invalid --iterations '%s': expected a positive number", optarg);
                return -1;
            }
            break;
        case OPT_DELAY:
            if (parse_seconds(optarg, 0.05, 86400, &opts->delay_s) < 0) {
                *error = xasprintf("invalid --delay '%s': expected 0.05 to 86400 seconds", optarg);
                return -1;
            }
            break;
        case OPT_ROWS:
            if (parse_uint(optarg, 1, 100000, &opts->rows) < 0) {
                *error = xasprintf("invalid --rows '%s': expected a positive number", optarg);
                return -1;
            }
            break;
        case OPT_WINDOW:
            if (parse_uint(optarg, 1, 60, &opts->window_s) < 0) {
                *error = xasprintf("invalid --window '%s': expected 1 to 60 seconds", optarg);
                return -1;
            }
            break;
        case OPT_BY_LINE:
            opts->by_line = true;
            break;
        case OPT_SORT:
            opts->sort = parse_sort(optarg);
            if (opts->sort < 0) {
                *error = xasprintf("invalid --sort '%s': expected own, total, owntime or "
                                   "totaltime",
                                   optarg);
                return -1;
            }
            break;
        case OPT_COMMAND_OUTPUT:
            opts->command_output = optarg;
            break;
        case 'g':
            opts->gil = true;
            break;
        case OPT_NATIVE:
            opts->native = true;
            break;
        case OPT_NO_PYTHON:
            opts->no_python = true;
            break;
        case OPT_NICE: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < -20 || v > 19) {
                *error = xasprintf("invalid --nice '%s': expected -20 to 19", optarg);
                return -1;
            }
            opts->nice = (int)v;
            opts->nice_given = true;
            break;
        }
        case 'o':
            opts->output = optarg;
            break;
        case OPT_FORCE:
            opts->force = true;
            break;
        case 'f':
            opts->format = optarg;
            break;
        case OPT_FROM:
        case OPT_TO:
            if (parse_seconds(optarg, 0, 1e9, c == OPT_FROM ? &opts->from_s : &opts->to_s) < 0) {
                *error = xasprintf("invalid --%s '%s': expected seconds into the recording",
                                   c == OPT_FROM ? "from" : "to", optarg);
                return -1;
            }
            break;
        case OPT_THREAD:
            if (parse_pid(optarg, &opts->thread) < 0) {
                *error = xasprintf("invalid --thread '%s': expected a thread id", optarg);
                return -1;
            }
            break;
        case 'h':
            opts->command = CMD_HELP;
            return 0;
        case 'V':
            opts->command = CMD_VERSION;
            return 0;
        case ':':
            /* The option without a value is the last word getopt read. */
            if (strncmp(sub_argv[optind - 1], "--", 2) == 0)
                *error = xasprintf("option '%s' needs a value", sub_argv[optind - 1]);
            else
                *error = xasprintf("option '-%c' needs a value", optopt);
            return -1;
        default:
            /* optopt names a short option even inside a cluster (-xj);
             * for a long one, getopt has moved past it. */
            if (optopt)
                *error = xasprintf("unknown option '-%c' (try 'spytop --help')", optopt);
            else
                *error =
                    xasprintf("unknown option '%s' (try 'spytop --help')", sub_argv[optind - 1]);
            return -1;
        }
    }
    /* getopt_long consumed "--" itself: what follows is the command. */
    if (optind < sub_argc) {
        if (strcmp(sub_argv[optind - 1], "--") != 0 ||
            (opts->command != CMD_TOP && opts->command != CMD_RECORD)) {
            *error = xasprintf("unexpected argument '%s' (try 'spytop --help')", sub_argv[optind]);
            return -1;
        }
        opts->command_argv = sub_argv + optind;
    }
    if (opts->json && opts->command != CMD_DUMP) {
        *error = xstrdup("--json goes with 'spytop dump'");
        return -1;
    }
    if (opts->native && opts->no_python) {
        *error = xstrdup("--native and --no-python do not go together (--no-python shows every "
                         "native frame already)");
        return -1;
    }
    if (opts->command_argv && opts->pid) {
        *error = xstrdup("give either -p PID or -- COMMAND, not both");
        return -1;
    }
    if (opts->command == CMD_VIEW || opts->command == CMD_REPORT) {
        if (!opts->file) {
            *error = xasprintf("no recording: give 'spytop %s FILE'",
                               opts->command == CMD_VIEW ? "view" : "report");
            return -1;
        }
        if (opts->pid || opts->nice_given) {
            *error = xasprintf("%s goes with a live target, not with a recording",
                               opts->pid ? "-p" : "--nice");
            return -1;
        }
        if (opts->command == CMD_VIEW && (opts->output || opts->format)) {
            *error = xstrdup("-o and --format go with 'spytop report'");
            return -1;
        }
        if (opts->to_s >= 0 && opts->to_s <= opts->from_s) {
            *error = xstrdup("--to must be after --from");
            return -1;
        }
        return 0;
    }
    if (opts->format || opts->thread || opts->from_s > 0 || opts->to_s >= 0) {
        *error = xstrdup("--format, --from, --to and --thread go with 'spytop report'");
        return -1;
    }
    if ((opts->output || opts->force) && opts->command != CMD_RECORD) {
        *error = xstrdup("-o and --force go with 'spytop record' and 'spytop report'");
        return -1;
    }
    if (opts->pid == 0 && !opts->command_argv) {
        *error = xstrdup(opts->command == CMD_DUMP
                             ? "no target: give -p PID (try 'spytop --help')"
                             : "no target: give -p PID or -- COMMAND (try 'spytop --help')");
        return -1;
    }
    if (!opts->batch && (opts->iterations || opts->delay_s != 1.0 || opts->rows)) {
        *error = xstrdup("--iterations, --delay and --rows go with --batch");
        return -1;
    }
    return 0;
}
