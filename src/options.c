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
          "       spytop dump -p PID [--json] [--locals] [--tasks] [OPTION...]\n"
          "       spytop record -p PID [-o FILE] [-f F] [-d S] [OPTION...]  (or -- COMMAND)\n"
          "       spytop view FILE [--pid PID]\n"
          "       spytop report FILE [--format F] [-o OUT] [--from S] [--to S] [--pid PID]\n"
          "                     [--thread TID]\n"
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
          "                       spytop-PID-YYYYmmdd-HHMMSS.spytop) until Ctrl-C, -d, or\n"
          "                       exit; with -f F or -o NAME.svg (see -f), write that\n"
          "                       export instead, as report would\n"
          "  view FILE            a recording in the live view, with a timeline\n"
          "  report FILE          export a recording: --format text (default), collapsed,\n"
          "                       speedscope, pprof, svg, chrome or gecko\n"
          "\n"
          "Options:\n"
          "  -p, --pid PID[,PID]  the process to attach to; several: each of them\n"
          "  -s, --subprocesses   and every descendant of it, followed as they fork\n"
          "  -r, --rate HZ        samples per second (default 100; 1 to 10000)\n"
          "  -d, --duration S     stop after S seconds (default: until quit or exit)\n"
          "  -i, --idle           count threads that are not running (sleeping, waiting)\n"
          "      --threads T,...  sample only these thread ids\n"
          "      --window S       percentages cover the last S seconds (1 to 60; default 5)\n"
          "      --by-line        one row per source line instead of per function\n"
          "      --sort KEY       own, total, owntime or totaltime (default own)\n"
          "  -b, --batch          no screen: print a table every --delay seconds\n"
          "      --iterations N   with --batch: stop after N tables\n"
          "      --delay S        with --batch: seconds between tables (default 1; may be\n"
          "                       fractional)\n"
          "      --rows N         with --batch: rows per table (default 20)\n"
          "      --command-output FILE\n"
          "                       with -- COMMAND on the live screen: append the command's\n"
          "                       output to FILE (default: discarded, not to garble the screen)\n"
          "  -g, --gil            only samples of the thread holding Python's GIL\n"
          "  -n, --native         keep every native frame, the Python interpreter's too\n"
          "      --no-python      do not read Python frames (native frames only)\n"
          "      --async          a running asyncio task's time also under the coroutines\n"
          "                       of the tasks awaiting it (CPython 3.14+)\n"
          "  -j, --json           dump as JSON (one object per thread, innermost frame first)\n"
          "      --locals         dump: each Python frame's local variables (simple values\n"
          "                       cut at 80 characters, containers by type and length),\n"
          "                       read while the thread is stopped\n"
          "      --tasks          dump: asyncio tasks per event loop thread (CPython 3.14+):\n"
          "                       name, coroutine stack, awaited by (as asyncio pstree)\n"
          "  -o, --output FILE    record: the recording or export (-: an export to stdout);\n"
          "                       report: the export (default stdout)\n"
          "      --force          record, report -o: overwrite an existing regular file\n"
          "  -f, --format F       report, record: text, collapsed (also folded),\n"
          "                       speedscope, pprof, svg (also flamegraph), chrome (also\n"
          "                       chrometrace: Chrome's trace events) or gecko (also\n"
          "                       firefox: Firefox Profiler); record: also spytop (the\n"
          "                       recording, the default). record without -f: the format\n"
          "                       -o's name ends in: .svg, .speedscope.json, .chrome.json,\n"
          "                       .gecko.json, .pb.gz (.pb, .pprof), .folded (.collapsed),\n"
          "                       .txt; any other name: a recording (.json alone is\n"
          "                       refused: give -f)\n"
          "      --from S, --to S report: only samples from S to S seconds into the recording\n"
          "      --thread TID     report: only this thread\n"
          "  -p, --pid PID        view, report: only this process of a recording\n"
          "      --full-filenames report, record -f: file names whole, not their last two\n"
          "                       parts\n"
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
          "Python: CPython 3.8 to 3.15 as python.org and pyenv build it, and as Debian and\n"
          "Ubuntu ship it (PGO+LTO, stripped), also in a container (read through\n"
          "/proc/PID/root); free-threaded builds are refused with a message (native\n"
          "frames only).\n"
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

/* -p 12 or -p 12,34 (or -p again): each PID once, in the order given. */
static int
parse_pids(const char *s, Options *opts)
{
    char *copy = xstrdup(s);
    int r = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && r == 0;
         tok = strtok_r(NULL, ",", &save)) {
        pid_t pid;
        r = parse_pid(tok, &pid);
        bool known = false;
        for (size_t i = 0; i < opts->pid_count && r == 0; i++)
            known |= opts->pids[i] == pid;
        if (r < 0 || known)
            continue;
        if (opts->pid_count == OPTIONS_MAX_PIDS)
            r = -2;
        else
            opts->pids[opts->pid_count++] = pid;
    }
    free(copy);
    if (r == 0 && !opts->pid_count)
        r = -1;
    if (opts->pid_count)
        opts->pid = opts->pids[0];
    return r;
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
    const char *reuse = getenv("SPYTOP_SLEEPER_REUSE");
    opts->sleeper_reuse_off = reuse && strcmp(reuse, "0") == 0;
    opts->sleeper_reuse_check = reuse && strcmp(reuse, "check") == 0;
    const char *oncpu = getenv("SPYTOP_ONCPU");
    opts->oncpu_schedstat = oncpu && strcmp(oncpu, "schedstat") == 0;
    const char *ms = getenv("SPYTOP_FAULT_ATTACH_DELAY_MS");
    if (ms && *ms)
        opts->fault_attach_delay_ms = (unsigned)(strtoul(ms, NULL, 10) % 60000);
    const char *no_color = getenv("NO_COLOR");
    opts->no_color = no_color && no_color[0];
}

enum {
    OPT_STACK_SIZE = 256,
    OPT_MAX_DEPTH,
    OPT_THREADS,
    OPT_DELAY,
    OPT_ROWS,
    OPT_WINDOW,
    OPT_BY_LINE,
    OPT_FULL_FILENAMES,
    OPT_SORT,
    OPT_COMMAND_OUTPUT,
    OPT_ITERATIONS,
    OPT_NO_PYTHON,
    OPT_LOCALS,
    OPT_TASKS,
    OPT_ASYNC,
    OPT_NICE,
    OPT_FORCE,
    OPT_FROM,
    OPT_TO,
    OPT_THREAD,
};

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
    {"iterations", required_argument, NULL, OPT_ITERATIONS},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"by-line", no_argument, NULL, OPT_BY_LINE},
    {"full-filenames", no_argument, NULL, OPT_FULL_FILENAMES},
    {"sort", required_argument, NULL, OPT_SORT},
    {"command-output", required_argument, NULL, OPT_COMMAND_OUTPUT},
    {"gil", no_argument, NULL, 'g'},
    {"subprocesses", no_argument, NULL, 's'},
    {"native", no_argument, NULL, 'n'},
    {"no-python", no_argument, NULL, OPT_NO_PYTHON},
    {"locals", no_argument, NULL, OPT_LOCALS},
    {"tasks", no_argument, NULL, OPT_TASKS},
    {"async", no_argument, NULL, OPT_ASYNC},
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

/* "+": stop at the first non-option, so that "-- COMMAND ARGS" and a
 * command's own options are left alone. ":": a missing value is told
 * apart from an unknown option. */
#define SHORT_OPTIONS "+:p:jhVr:d:ibngso:f:"

static void
set_defaults(Options *opts)
{
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
}

/* The subcommand, when argv[1] names one. Returns how many words it took
 * (0 or 1), or -1 with *error set. */
static int
parse_command(int argc, char **argv, Options *opts, char **error)
{
    static const struct {
        const char *name;
        Command command;
    } commands[] = {
        {"dump", CMD_DUMP},     {"record", CMD_RECORD}, {"view", CMD_VIEW},
        {"report", CMD_REPORT}, {"top", CMD_TOP},       {"help", CMD_HELP},
    };
    if (argc < 2 || argv[1][0] == '-')
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            opts->command = commands[i].command;
            return 1;
        }
    }
    *error = xasprintf("unknown command '%s' (try 'spytop --help')", argv[1]);
    return -1;
}

/* The flag an option without a value sets, or NULL. */
static bool *
flag_of(Options *opts, int c)
{
    switch (c) {
    case 'j':
        return &opts->json;
    case 'i':
        return &opts->idle;
    case 'b':
        return &opts->batch;
    case 'g':
        return &opts->gil;
    case 's':
        return &opts->subprocesses;
    case OPT_BY_LINE:
        return &opts->by_line;
    case OPT_FULL_FILENAMES:
        return &opts->full_filenames;
    case 'n': /* py-spy's -n */
        return &opts->native;
    case OPT_NO_PYTHON:
        return &opts->no_python;
    case OPT_LOCALS:
        return &opts->locals;
    case OPT_TASKS:
        return &opts->tasks;
    case OPT_ASYNC:
        return &opts->async;
    case OPT_FORCE:
        return &opts->force;
    default:
        return NULL;
    }
}

static int
parse_nice(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -20 || v > 19)
        return -1;
    *out = (int)v;
    return 0;
}

static int
parse_depth(const char *s, size_t *out)
{
    size_t v;
    if (parse_size(s, &v) < 0 || v < 1 || v > 1024)
        return -1;
    *out = v;
    return 0;
}

static int
parse_stack_size(const char *s, size_t *out)
{
    if (parse_size(s, out) < 0 || *out < STACK_BYTES_MIN || *out > STACK_BYTES_MAX)
        return -1;
    return 0;
}

static int
parse_sort_option(const char *s, int *out)
{
    *out = parse_sort(s);
    return *out < 0 ? -1 : 0;
}

/* An option's long name, for messages. */
static const char *
long_name(int c)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

/* One option with a value: parsed, checked, stored. 0, or -1 with *error
 * set to "invalid --NAME 'VALUE': " and what was expected. */
static int
parse_value(int c, const char *arg, Options *o, char **error)
{
    int r = 0;
    const char *expected = NULL;
    switch (c) {
    case 'p':
        r = parse_pids(arg, o);
        if (r == -2)
            *error = xasprintf("too many PIDs in '%s': at most %d", arg, OPTIONS_MAX_PIDS);
        else if (r < 0)
            *error = xasprintf("invalid PID '%s': expected a positive number, or several "
                               "separated by commas",
                               arg);
        return r < 0 ? -1 : 0;
    case OPT_STACK_SIZE:
        r = parse_stack_size(arg, &o->stack_bytes);
        expected = "8K to 8M";
        break;
    case OPT_MAX_DEPTH:
        r = parse_depth(arg, &o->max_depth);
        expected = "1 to 1024";
        break;
    case 'r':
        r = parse_uint(arg, 1, 10000, &o->rate_hz);
        expected = "1 to 10000 samples per second";
        break;
    case 'd':
        r = parse_seconds(arg, 0.001, 1e7, &o->duration_s);
        expected = "seconds, more than 0";
        break;
    case OPT_THREADS:
        r = parse_tids(arg, o);
        expected = "thread ids separated by commas (at most " UTIL_STR(OPTIONS_MAX_TIDS) ")";
        break;
    case OPT_ITERATIONS:
        r = parse_uint(arg, 1, 1000000000, &o->iterations);
        expected = "a positive number";
        break;
    case OPT_DELAY:
        r = parse_seconds(arg, 0.05, 86400, &o->delay_s);
        expected = "0.05 to 86400 seconds";
        break;
    case OPT_ROWS:
        r = parse_uint(arg, 1, 100000, &o->rows);
        expected = "a positive number";
        break;
    case OPT_WINDOW:
        r = parse_uint(arg, 1, 60, &o->window_s);
        expected = "1 to 60 seconds";
        break;
    case OPT_SORT:
        r = parse_sort_option(arg, &o->sort);
        expected = "own, total, owntime or totaltime";
        break;
    case OPT_NICE:
        r = parse_nice(arg, &o->nice);
        o->nice_given = r == 0;
        expected = "-20 to 19";
        break;
    case OPT_FROM:
        r = parse_seconds(arg, 0, 1e9, &o->from_s);
        expected = "seconds into the recording";
        break;
    case OPT_TO:
        r = parse_seconds(arg, 0, 1e9, &o->to_s);
        expected = "seconds into the recording";
        break;
    case OPT_THREAD:
        r = parse_pid(arg, &o->thread);
        expected = "a thread id";
        break;
    case OPT_COMMAND_OUTPUT:
        o->command_output = arg;
        break;
    case 'o':
        o->output = arg;
        break;
    case 'f':
        o->format = arg;
        break;
    default:
        abort(); /* every option in long_options is handled */
    }
    if (r < 0) {
        *error = xasprintf("invalid --%s '%s': expected %s", long_name(c), arg, expected);
        return -1;
    }
    return 0;
}

/* What getopt could not read: the word at optind - 1 in argv. */
static char *
getopt_error(int c, char **argv)
{
    if (c == ':') {
        /* The option without a value is the last word getopt read. */
        if (strncmp(argv[optind - 1], "--", 2) == 0)
            return xasprintf("option '%s' needs a value", argv[optind - 1]);
        return xasprintf("option '-%c' needs a value", optopt);
    }
    /* optopt names a short option even inside a cluster (-xj); for a long
     * one, getopt has moved past it. */
    if (optopt)
        return xasprintf("unknown option '-%c' (try 'spytop --help')", optopt);
    return xasprintf("unknown option '%s' (try 'spytop --help')", argv[optind - 1]);
}

/* The words after the options: view's and report's FILE (options may
 * follow it), and after "--" the command to launch. Returns 1 when
 * getopt_long should go on, 0 when the words are read, -1 with *error. */
static int
parse_operands(int argc, char **argv, Options *opts, char **error)
{
    bool after_dashes = strcmp(argv[optind - 1], "--") == 0;
    if ((opts->command == CMD_VIEW || opts->command == CMD_REPORT) && !opts->file &&
        optind < argc && !after_dashes) {
        opts->file = argv[optind++];
        return 1;
    }
    if (optind >= argc)
        return 0;
    /* getopt_long consumed "--" itself: what follows is the command. */
    if (!after_dashes || (opts->command != CMD_TOP && opts->command != CMD_RECORD)) {
        *error = xasprintf("unexpected argument '%s' (try 'spytop --help')", argv[optind]);
        return -1;
    }
    opts->command_argv = argv + optind;
    return 0;
}

/* Checks of options against each other, for every command. */
static char *
check_common(const Options *opts)
{
    if (opts->json && opts->command != CMD_DUMP)
        return xstrdup("--json goes with 'spytop dump'");
    if (opts->locals && opts->command != CMD_DUMP)
        return xstrdup("--locals goes with 'spytop dump'");
    if (opts->locals && opts->no_python)
        return xstrdup("--locals and --no-python do not go together (locals are Python's)");
    if (opts->tasks && opts->command != CMD_DUMP)
        return xstrdup("--tasks goes with 'spytop dump'");
    if (opts->tasks && opts->no_python)
        return xstrdup("--tasks and --no-python do not go together (tasks are Python's)");
    if (opts->async && opts->no_python)
        return xstrdup("--async and --no-python do not go together (tasks are Python's)");
    if (opts->async && (opts->command == CMD_VIEW || opts->command == CMD_REPORT))
        return xstrdup("--async goes with a live target (top, record, dump): a recording "
                       "keeps the stacks as they were sampled");
    if (opts->batch && opts->command != CMD_TOP)
        return xasprintf("--batch goes with the live view ('spytop -p PID --batch'); 'spytop %s' "
                         "prints no screen already",
                         opts->command == CMD_DUMP     ? "dump"
                         : opts->command == CMD_RECORD ? "record"
                         : opts->command == CMD_VIEW   ? "view"
                                                       : "report");
    if (opts->native && opts->no_python)
        return xstrdup("--native and --no-python do not go together (--no-python shows every "
                       "native frame already)");
    if (opts->command_argv && opts->pid)
        return xstrdup("give either -p PID or -- COMMAND, not both");
    if (opts->tid_count && (opts->pid_count > 1 || opts->subprocesses))
        return xstrdup("--threads picks threads of one process; it does not go with several "
                       "PIDs or --subprocesses");
    return NULL;
}

/* view FILE and report FILE. */
static char *
check_recording_command(const Options *opts)
{
    if (!opts->file)
        return xasprintf("no recording: give 'spytop %s FILE'",
                         opts->command == CMD_VIEW ? "view" : "report");
    if (opts->nice_given || opts->subprocesses)
        return xasprintf("%s goes with a live target, not with a recording",
                         opts->subprocesses ? "--subprocesses" : "--nice");
    if (opts->pid_count > 1)
        return xstrdup("--pid selects one process of a recording: give one PID");
    if (opts->command == CMD_VIEW && (opts->output || opts->format || opts->full_filenames))
        return xstrdup("-o, --format and --full-filenames go with 'spytop report'");
    if (opts->to_s >= 0 && opts->to_s <= opts->from_s)
        return xstrdup("--to must be after --from");
    return NULL;
}

/* top, dump and record: a live target. */
static char *
check_live_command(const Options *opts)
{
    if (opts->thread || opts->from_s > 0 || opts->to_s >= 0)
        return xstrdup("--from, --to and --thread go with 'spytop report'");
    if ((opts->format || opts->full_filenames) && opts->command != CMD_RECORD)
        return xstrdup("--format and --full-filenames go with 'spytop report' and 'spytop record'");
    if ((opts->output || opts->force) && opts->command != CMD_RECORD)
        return xstrdup("-o and --force go with 'spytop record' and 'spytop report'");
    if (opts->pid == 0 && !opts->command_argv)
        return xstrdup(opts->command == CMD_DUMP
                           ? "no target: give -p PID (try 'spytop --help')"
                           : "no target: give -p PID or -- COMMAND (try 'spytop --help')");
    if (!opts->batch && (opts->iterations || opts->delay_s != 1.0 || opts->rows))
        return xstrdup("--iterations, --delay and --rows go with --batch");
    return NULL;
}

int
Options_parse(int argc, char **argv, Options *opts, char **error)
{
    set_defaults(opts);
    read_environment(opts);
    *error = NULL;
    int taken = parse_command(argc, argv, opts, error);
    if (taken < 0)
        return -1;
    if (opts->command == CMD_HELP)
        return 0;
    /* The options from the word after the command, as an argv of their own. */
    int sub_argc = argc - taken;
    char **sub_argv = argv + taken;
    optind = 0; /* 0, not 1: also forgets a half-read "-abc" of an earlier parse */
    opterr = 0;
    for (;;) {
        int c = getopt_long(sub_argc, sub_argv, SHORT_OPTIONS, long_options, NULL);
        if (c == -1) {
            int r = parse_operands(sub_argc, sub_argv, opts, error);
            if (r < 0)
                return -1;
            if (r == 0)
                break;
        } else if (c == 'h' || c == 'V') {
            opts->command = c == 'h' ? CMD_HELP : CMD_VERSION;
            return 0;
        } else if (c == ':' || c == '?') {
            *error = getopt_error(c, sub_argv);
            return -1;
        } else if (flag_of(opts, c)) {
            *flag_of(opts, c) = true;
        } else if (parse_value(c, optarg, opts, error) < 0) {
            return -1;
        }
    }
    *error = check_common(opts);
    if (!*error)
        *error = opts->command == CMD_VIEW || opts->command == CMD_REPORT
                     ? check_recording_command(opts)
                     : check_live_command(opts);
    return *error ? -1 : 0;
}
