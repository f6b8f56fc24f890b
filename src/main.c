/* spytop: argv -> options -> command. The only place modules are wired
 * together. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "aggregator.h"
#include "batch.h"
#include "demangle.h"
#include "dump.h"
#include "exit_codes.h"
#include "export.h"
#include "live.h"
#include "options.h"
#include "record.h"
#include "record_direct.h"
#include "recformat.h"
#include "report.h"
#include "symbolizer.h"
#include "symtab.h"
#include "unwinder.h"
#include "util.h"
#include "view.h"
#include "../tui/screen.h"
#include "../tui/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static AggQuery
query_from(const Options *opts)
{
    AggQuery query = {
        .mode = opts->by_line ? AGG_BY_LINE : AGG_BY_FUNCTION,
        .sort = (AggSort)opts->sort,
        .include_idle = opts->idle,
        .gil_only = opts->gil,
        .window_s = opts->window_s,
    };
    return query;
}

static UnwindMemo
unwind_memo_from(const Options *opts)
{
    return opts->unwind_memo_off     ? UNWIND_MEMO_OFF
           : opts->unwind_memo_check ? UNWIND_MEMO_CHECK
                                     : UNWIND_MEMO_ON;
}

static SleeperReuse
sleeper_reuse_from(const Options *opts)
{
    return opts->sleeper_reuse_off     ? SLEEPER_REUSE_OFF
           : opts->sleeper_reuse_check ? SLEEPER_REUSE_CHECK
                                       : SLEEPER_REUSE_ON;
}

/* What every command that samples asks of its session. */
static SessionOptions
session_from(const Options *opts)
{
    SessionOptions so = {
        .stack_max = opts->stack_bytes,
        .max_depth = opts->max_depth,
        .only_tids = opts->tid_count ? opts->tids : NULL,
        .only_tid_count = opts->tid_count,
        .native_all = opts->native,
        .no_python = opts->no_python,
        .python_async = opts->async,
        .unwind_memo = unwind_memo_from(opts),
        .sleeper_reuse = sleeper_reuse_from(opts),
        .oncpu_schedstat = opts->oncpu_schedstat,
        .attach_delay_ms = opts->fault_attach_delay_ms,
    };
    return so;
}

static LiveOptions
live_from(const Options *opts, bool full_screen)
{
    LiveOptions lo = {
        .pid = opts->pid,
        .pids = opts->pids,
        .pid_count = opts->pid_count,
        .subprocesses = opts->subprocesses,
        .command = opts->command_argv,
        .command_output = opts->command_output,
        .command_output_null = full_screen && !opts->command_output,
        .rate_hz = opts->rate_hz,
        .duration_s = opts->duration_s,
        .session = session_from(opts),
        .nice = opts->nice,
        .nice_given = opts->nice_given,
    };
    return lo;
}

/* --version: spytop's, then each library's twice: as compiled against (its
 * headers) and as loaded now. They differ when a library was upgraded
 * after the build. */
static void
print_version(FILE *f)
{
    static const struct {
        const char *name;
        const char *(*version)(bool running);
    } libs[] = {
        {"libunwind", Unwinder_library_version},
        {"elfutils libdw", Symbolizer_library_version},
        {"ncursesw", Terminal_library_version},
        {"zlib", Rec_zlib_version},
    };
    fprintf(f, "spytop %s\n", PACKAGE_VERSION);
    for (int running = 0; running <= 1; running++) {
        fputs(running ? "running with" : "built with", f);
        for (size_t i = 0; i < ARRAY_SIZE(libs); i++) {
            const char *v = libs[i].version(running);
            fprintf(f, "%s %s %s", i ? "," : "", libs[i].name, v ? v : "(not reported)");
        }
        fputc('\n', f);
    }
    fprintf(f, "demangling: %s\n", Demangle_library());
}

/* What report and record's direct formats share: the selection and the
 * format's knobs. */
static ReportOptions
report_options_from(const Options *opts)
{
    ReportOptions ro;
    ReportOptions_init(&ro);
    ro.from_ns = (uint64_t)(opts->from_s * 1e9);
    ro.to_ns = opts->to_s >= 0 ? (uint64_t)(opts->to_s * 1e9) : REPORT_TO_END;
    ro.tid = opts->thread;
    /* report's --pid selects a process; record's -p is the target. */
    ro.pid = opts->command == CMD_REPORT ? opts->pid : 0;
    ro.include_idle = opts->idle;
    ro.by_line = opts->by_line;
    ro.full_paths = opts->full_filenames;
    if (opts->rows)
        ro.rows = opts->rows;
    return ro;
}

/* record: a .spytop recording, or an export written directly (-f, or
 * -o NAME.svg and the like: record_direct.h). */
static int
run_record(const Options *opts)
{
    ReportFormat format = REPORT_TEXT;
    bool direct;
    char *error;
    if (RecordDirect_choose(opts->format, opts->output, &format, &direct, &error) < 0) {
        fputs("spytop: ", stderr);
        Util_fputs_escaped(error, stderr);
        fputc('\n', stderr);
        free(error);
        return EXIT_USAGE;
    }
    if (!direct && opts->full_filenames) {
        fputs("spytop: --full-filenames goes with an export (-f F, or -o NAME.svg and the like); "
              "a .spytop recording keeps file names whole\n",
              stderr);
        return EXIT_USAGE;
    }
    if (direct && format == REPORT_PPROF && opts->output && strcmp(opts->output, "-") == 0 &&
        isatty(STDOUT_FILENO)) {
        fputs("spytop: pprof output is binary: give -o FILE (e.g. -o profile.pb.gz)\n", stderr);
        return EXIT_USAGE;
    }
    Symtab *symtab = Symtab_new();
    Aggregator *agg = Aggregator_new(symtab);
    RecordOptions ro = {
        .output = opts->output,
        .force = opts->force,
        .live = live_from(opts, false),
    };
    int status;
    if (direct) {
        ExportOptions eo = {
            .format = format,
            .output = opts->output,
            .force = opts->force,
            .report = report_options_from(opts),
        };
        status = RecordDirect_run(&ro, &eo, agg, symtab);
    } else {
        status = Record_run(&ro, agg, symtab, NULL);
    }
    Aggregator_delete(agg);
    Symtab_delete(symtab);
    return status;
}

static int
run_report(const Options *opts)
{
    ExportOptions eo = {
        .format = REPORT_TEXT,
        .output = opts->output,
        .force = opts->force,
        .report = report_options_from(opts),
    };
    if (opts->format && !Report_parse_format(opts->format, &eo.format)) {
        fputs("spytop: unknown --format '", stderr);
        Util_fputs_escaped(opts->format, stderr);
        fputs("': expected text, collapsed (folded), speedscope, pprof, svg (flamegraph), "
              "chrome (chrometrace) or gecko (firefox)\n",
              stderr);
        return EXIT_USAGE;
    }
    if (eo.format == REPORT_PPROF && !opts->output && isatty(STDOUT_FILENO)) {
        fputs("spytop: pprof output is binary: give -o FILE (e.g. -o profile.pb.gz)\n", stderr);
        return EXIT_USAGE;
    }
    return Export_run(opts->file, &eo, NULL);
}

static int
run_top(const Options *opts)
{
    if (!opts->batch && !Terminal_available()) {
        /* The first problem first: a PID that names no process. */
        if (opts->pid && kill(opts->pid, 0) < 0 && errno == ESRCH) {
            fprintf(stderr, "spytop: no process with PID %d\n", (int)opts->pid);
            return EXIT_FATAL;
        }
        fputs("spytop: the live view needs a terminal; use --batch for plain text\n", stderr);
        return EXIT_USAGE;
    }
    Symtab *symtab = Symtab_new();
    Aggregator *agg = Aggregator_new(symtab);
    AggQuery query = query_from(opts);
    LiveOptions lo = live_from(opts, !opts->batch);
    int status;
    if (opts->batch && fcntl(STDOUT_FILENO, F_GETFD) < 0) {
        fputs("spytop: standard output is closed: --batch has nowhere to print\n", stderr);
        Aggregator_delete(agg);
        Symtab_delete(symtab);
        return EXIT_FATAL;
    }
    if (opts->batch) {
        BatchOptions bo = {
            .delay_s = opts->delay_s,
            .iterations = opts->iterations,
            .rows = opts->rows ? opts->rows : 20,
            .query = query,
        };
        Batch *batch = Batch_new(&bo, symtab, stdout);
        status = Live_run(&lo, Batch_consumer(batch), agg, symtab);
        int werr = Batch_write_error(batch);
        if (werr == EPIPE) {
            status = EXIT_PARTIAL; /* the reader went away (| head): say nothing */
        } else if (werr) {
            fprintf(stderr, "spytop: writing the --batch tables failed: %s\n", strerror(werr));
            status = EXIT_FATAL;
        }
        Batch_delete(batch);
    } else {
        Screen *screen = Screen_new(symtab, &query, !opts->no_color);
        Screen_set_async(screen, opts->async);
        status = Live_run(&lo, Screen_consumer(screen), agg, symtab);
        Screen_delete(screen);
    }
    Aggregator_delete(agg);
    Symtab_delete(symtab);
    return status;
}

static int
run_view(const Options *opts)
{
    if (!Terminal_available()) {
        fputs("spytop: 'spytop view' needs a terminal; 'spytop report FILE' prints the same "
              "figures as text\n",
              stderr);
        return EXIT_USAGE;
    }
    Symtab *symtab = Symtab_new();
    AggQuery query = query_from(opts);
    Screen *screen = Screen_new(symtab, &query, !opts->no_color);
    int status = View_run(opts->file, opts->pid, symtab, Screen_consumer(screen));
    Screen_delete(screen);
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
    /* An ignored SIGCHLD (inherited through exec from a parent that ignores
     * it) is not sent for a tracee's stop: the sampler and the event loop
     * learn of reports from it (sampler.c). */
    signal(SIGCHLD, SIG_DFL);
    /* A file kept open per thread of a large target (the sampler's task
     * files): the soft descriptor limit raised to the hard one, as perf
     * does. spytop polls, never select()s, so large descriptors are fine. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &files); /* not raised: the sampler keeps fewer open */
    }

    switch (opts.command) {
    case CMD_HELP:
        Options_print_help(stdout);
        return EXIT_OK;
    case CMD_VERSION:
        print_version(stdout);
        return EXIT_OK;
    case CMD_DUMP: {
        DumpOptions dump = {.pid = opts.pid,
                            .pids = opts.pids,
                            .pid_count = opts.pid_count,
                            .subprocesses = opts.subprocesses,
                            .json = opts.json,
                            .locals = opts.locals,
                            .tasks = opts.tasks,
                            .session = session_from(&opts)};
        /* dump shows every thread: --threads is top's and record's. */
        dump.session.only_tids = NULL;
        dump.session.only_tid_count = 0;
        Util_set_own_nice(opts.nice, opts.nice_given);
        int status = Dump_run(&dump, stdout, stderr);
        if (fflush(stdout) != 0 && status == EXIT_OK)
            status = EXIT_PARTIAL;
        return status;
    }
    case CMD_RECORD:
        return run_record(&opts);
    case CMD_VIEW:
        return run_view(&opts);
    case CMD_REPORT: {
        int status = run_report(&opts);
        if (fflush(stdout) != 0 && status == EXIT_OK)
            status = EXIT_FATAL;
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
