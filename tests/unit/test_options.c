/* Unit tests for src/options.c: what `spytop ARGS` means, and the message
 * a user gets for each mistake. */
#include "config.h"

#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "options.h"

#define MAX_ARGS 16

/* getopt keeps hidden state (the position inside a "-abc" cluster) that
 * setting optind = 1, as Options_parse does, does not clear; optind = 0
 * re-initializes it. Each parse here starts from a clean slate. */
static void
reset_getopt(void)
{
    static char prog[] = "reset";
    char *argv[] = {prog, NULL};
    optind = 0;
    opterr = 0;
    while (getopt(1, argv, "") != -1)
        ;
}

/* Runs Options_parse on "spytop" followed by the NULL-terminated args.
 * The argv copies are freed afterwards, so only the scalar fields of opts
 * (not command_argv or command_output, borrowed from argv) are checked. */
static int
parse_argv(Options *opts, char **error, const char *const *args)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = strdup("spytop");
    for (; *args; args++) {
        assert_true(argc <= MAX_ARGS);
        argv[argc++] = strdup(*args);
    }
    argv[argc] = NULL;
    reset_getopt();
    int rc = Options_parse(argc, argv, opts, error);
    for (int i = 0; i < argc; i++) /* getopt permutes, but frees are per element */
        free(argv[i]);
    return rc;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* "spytop ARGS" for messages (into a static buffer). */
static const char *
command_line(const char *const *args)
{
    static char line[512];
    size_t n = (size_t)snprintf(line, sizeof(line), "spytop");
    for (; *args && n < sizeof(line); args++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " '%s'", *args);
    return line;
}

/* Expects success with no message. */
static Options
parse_ok(const char *const *args)
{
    Options opts;
    char *error = NULL;
    int rc = parse_argv(&opts, &error, args);
    if (rc != 0 || error)
        FAIL("%s: rc %d, error \"%s\"", command_line(args), rc, error ? error : "(null)");
    return opts;
}

/* Expects -1 and a message holding each of the NULL-terminated needles. */
static void
parse_error(const char *const *args, const char *const *needles)
{
    Options opts;
    char *error = NULL;
    int rc = parse_argv(&opts, &error, args);
    if (rc != -1 || !error) {
        FAIL("%s: rc %d, error \"%s\", want a usage error", command_line(args), rc,
             error ? error : "(null)");
    }
    assert_null(strchr(error, '\n')); /* one line */
    for (; *needles; needles++)
        if (!strstr(error, *needles))
            FAIL("%s: error \"%s\" does not mention \"%s\"", command_line(args), error, *needles);
    free(error);
}

#define OK(...) parse_ok(ARGS(__VA_ARGS__))
#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
dump_with_short_pid(void **state)
{
    (void)state;
    Options o = OK("dump", "-p", "123");
    assert_int_equal(o.command, CMD_DUMP);
    assert_int_equal(o.pid, 123);
    assert_false(o.json);
    assert_int_equal(o.stack_bytes, 256 * 1024); /* the documented defaults */
    assert_int_equal(o.max_depth, 512);

    o = OK("dump", "-p123");
    assert_int_equal(o.pid, 123);
    o = OK("dump", "-p", "2147483647");
    assert_int_equal(o.pid, 2147483647);
}

static void
dump_with_long_pid_and_json(void **state)
{
    (void)state;
    Options o = OK("dump", "--pid=123", "--json");
    assert_int_equal(o.command, CMD_DUMP);
    assert_int_equal(o.pid, 123);
    assert_true(o.json);

    o = OK("dump", "--json", "--pid", "456");
    assert_int_equal(o.pid, 456);
    assert_true(o.json);

    o = OK("dump", "-jp", "9");
    assert_int_equal(o.pid, 9);
    assert_true(o.json);
}

static void
top_is_the_default(void **state)
{
    (void)state;
    Options o = OK("-p", "5");
    assert_int_equal(o.command, CMD_TOP);
    assert_int_equal(o.pid, 5);
    o = OK("top", "--pid=5");
    assert_int_equal(o.command, CMD_TOP);
    assert_int_equal(o.pid, 5);
}

static void
stack_size_suffixes(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        size_t bytes;
    } cases[] = {
        {"64K", 64 * 1024},      {"64k", 64 * 1024},      {"1M", 1024 * 1024},
        {"1m", 1024 * 1024},     {"65536", 65536},        {"8K", 8 * 1024},
        {"8192", 8192},          {"8M", 8 * 1024 * 1024}, {"8192K", 8 * 1024 * 1024},
        {"3M", 3 * 1024 * 1024},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Options o = OK("dump", "-p", "1", "--stack-size", cases[i].arg);
        if (o.stack_bytes != cases[i].bytes)
            FAIL("--stack-size %s: got %zu, want %zu", cases[i].arg, o.stack_bytes, cases[i].bytes);
        char joined[64];
        snprintf(joined, sizeof(joined), "--stack-size=%s", cases[i].arg);
        o = OK("dump", "-p", "1", joined);
        assert_int_equal(o.stack_bytes, cases[i].bytes);
    }
}

static void
stack_size_out_of_bounds(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "4K",
        "8191",
        "9M",
        "8193K",
        "0",
        "-1",
        "-64K",
        "",
        "abc",
        "64KB",
        "64X",
        "K",
        "1G",
        "99999999999999999999",
        "99999999999999999999K",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
        parse_error(ARGS("dump", "-p", "1", "--stack-size", bad[i]),
                    NEEDLES("--stack-size", quoted, "8K", "8M"));
    }
}

static void
stack_size_overflow(void **state)
{
    (void)state;
    parse_error(ARGS("dump", "-p", "1", "--stack-size", "18014398509482048K"),
                NEEDLES("--stack-size", "18014398509482048K"));
    parse_error(ARGS("dump", "-p", "1", "--stack-size", "17592186044417M"),
                NEEDLES("--stack-size", "17592186044417M"));
}

static void
max_depth_bounds(void **state)
{
    (void)state;
    assert_int_equal(OK("dump", "-p", "1", "--max-depth", "1").max_depth, 1);
    assert_int_equal(OK("dump", "-p", "1", "--max-depth=1024").max_depth, 1024);
    static const char *const bad[] = {"0", "1025", "-1", "x", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
        parse_error(ARGS("dump", "-p", "1", "--max-depth", bad[i]),
                    NEEDLES("--max-depth", quoted, "1024"));
    }
}

static void
pid_lists_and_subprocesses(void **state)
{
    (void)state;
    Options o = OK("top", "-p", "12,34,12", "-p", "56", "-s", "-b");
    assert_int_equal(o.pid, 12);
    assert_int_equal(o.pid_count, 3);
    assert_int_equal(o.pids[1], 34);
    assert_int_equal(o.pids[2], 56);
    assert_true(o.subprocesses);
    o = OK("dump", "--pid", "7", "--subprocesses");
    assert_int_equal(o.pid_count, 1);
    assert_true(o.subprocesses);
    parse_error(ARGS("dump", "-p", "1,x"), NEEDLES("invalid PID '1,x'", "commas"));
    parse_error(ARGS("dump", "-p", ","), NEEDLES("invalid PID ','"));
    parse_error(ARGS("top", "-p", "1", "-s", "--threads", "2"),
                NEEDLES("--threads", "one process"));
    parse_error(ARGS("top", "-p", "1,2", "--threads", "2"), NEEDLES("--threads", "one process"));
}

static void
bad_pid(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "-5", "abc", "12abc", "2147483648", "", " ", "1.5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
        parse_error(ARGS("dump", "-p", bad[i]), NEEDLES("PID", quoted));
        parse_error(ARGS("dump", "--pid", bad[i]), NEEDLES("PID", quoted));
    }
}

static void
missing_value(void **state)
{
    (void)state;
    parse_error(ARGS("dump", "-p"), NEEDLES("'-p'", "value"));
    parse_error(ARGS("dump", "--pid"), NEEDLES("'--pid'", "value"));
    parse_error(ARGS("dump", "-p", "1", "--stack-size"), NEEDLES("'--stack-size'", "value"));
    parse_error(ARGS("dump", "-p", "1", "--max-depth"), NEEDLES("'--max-depth'", "value"));
}

static void
unknown_command(void **state)
{
    (void)state;
    parse_error(ARGS("frob", "-p", "1"), NEEDLES("unknown command", "'frob'", "--help"));
    parse_error(ARGS("dmup", "--help"), NEEDLES("unknown command", "'dmup'"));
    parse_error(ARGS("", "-p", "1"), NEEDLES("unknown command", "''"));
}

/* py-spy's habit: -n is --native; the batch table count is --iterations,
 * long only. */
static void
n_is_native(void **state)
{
    (void)state;
    Options o = OK("dump", "-p", "1", "-n");
    assert_true(o.native);
    o = OK("-p", "1", "-n");
    assert_true(o.native);
    assert_int_equal(o.iterations, 0);
    o = OK("-p", "1", "--batch", "--iterations", "3");
    assert_int_equal(o.iterations, 3);
    assert_false(o.native);
    o = OK("record", "-np", "1"); /* a flag, so it clusters */
    assert_true(o.native);
    assert_int_equal(o.pid, 1);
}

static void
unknown_option(void **state)
{
    (void)state;
    parse_error(ARGS("dump", "-p", "1", "--frobnicate"),
                NEEDLES("unknown option", "'--frobnicate'", "--help"));
    parse_error(ARGS("dump", "--frob=1", "-p", "1"), NEEDLES("unknown option", "--frob"));
    parse_error(ARGS("dump", "-x", "-p", "1"), NEEDLES("unknown option", "'-x'"));
    parse_error(ARGS("-p", "1", "-x"), NEEDLES("unknown option", "'-x'"));
}

static void
unknown_option_in_cluster(void **state)
{
    (void)state;
    parse_error(ARGS("dump", "-p", "1", "-xj"), NEEDLES("unknown option", "-x"));
    parse_error(ARGS("dump", "-xj", "-p", "1"), NEEDLES("unknown option", "-x"));
}

static void
missing_pid(void **state)
{
    (void)state;
    parse_error(ARGS("dump"), NEEDLES("-p PID"));
    parse_error(ARGS("dump", "--json"), NEEDLES("-p PID"));
    parse_error(ARGS("top"), NEEDLES("-p PID"));
    Options opts;
    char *error = NULL;
    char prog[] = "spytop";
    char *argv[] = {prog, NULL};
    reset_getopt();
    assert_int_equal(Options_parse(1, argv, &opts, &error), -1);
    assert_non_null(error);
    assert_non_null(strstr(error, "-p PID"));
    free(error);
}

static void
json_needs_dump_and_no_extra_args(void **state)
{
    (void)state;
    parse_error(ARGS("-p", "1", "--json"), NEEDLES("--json", "dump"));
    parse_error(ARGS("top", "-p", "1", "-j"), NEEDLES("--json", "dump"));
    parse_error(ARGS("dump", "-p", "1", "--batch"), NEEDLES("--batch", "live view", "dump"));
    parse_error(ARGS("record", "-p", "1", "-b"), NEEDLES("--batch", "record"));
    parse_error(ARGS("dump", "-p", "1", "extra"), NEEDLES("unexpected argument", "'extra'"));
    parse_error(ARGS("dump", "dump", "-p", "1"), NEEDLES("unexpected argument", "'dump'"));
}

/* record writes report's formats directly: -f and --full-filenames are
 * record's too; the selection of a recording (--from, --to, --thread)
 * stays report's, and the live view takes none of them. */
static void
record_takes_report_formats(void **state)
{
    (void)state;
    Options o = parse_ok(ARGS("record", "-p", "1", "-f", "svg", "--full-filenames", "--by-line"));
    assert_int_equal(o.command, CMD_RECORD);
    assert_non_null(o.format); /* borrowed from the freed argv: not read */
    assert_true(o.full_filenames);
    assert_true(o.by_line);
    parse_error(ARGS("-p", "1", "-f", "svg"), NEEDLES("--format", "'spytop report'", "record"));
    parse_error(ARGS("dump", "-p", "1", "--full-filenames"),
                NEEDLES("--full-filenames", "'spytop record'"));
    parse_error(ARGS("record", "-p", "1", "--from", "1"), NEEDLES("--from", "'spytop report'"));
    parse_error(ARGS("record", "-p", "1", "--thread", "1"), NEEDLES("--thread", "'spytop report'"));
}

/* view and report: --pid (-p) selects a process of the recording; --nice
 * still goes with a live target only. */
static void
recording_pid_selects(void **state)
{
    (void)state;
    Options o = parse_ok(ARGS("report", "run.spytop", "--pid", "200", "--thread", "201"));
    assert_int_equal(o.command, CMD_REPORT);
    assert_int_equal(o.pid, 200);
    assert_int_equal(o.thread, 201);
    o = parse_ok(ARGS("view", "-p", "7", "run.spytop"));
    assert_int_equal(o.command, CMD_VIEW);
    assert_int_equal(o.pid, 7);
    parse_error(ARGS("report", "run.spytop", "--pid", "x"), NEEDLES("invalid PID 'x'"));
    parse_error(ARGS("report", "run.spytop", "--pid", "1,2"), NEEDLES("--pid", "one PID"));
    parse_error(ARGS("view", "run.spytop", "-s"), NEEDLES("--subprocesses", "live target"));
    parse_error(ARGS("report", "run.spytop", "--nice", "1"), NEEDLES("--nice", "live target"));
}

static void
help_and_version_anywhere(void **state)
{
    (void)state;
    static const char *const help[][5] = {
        {"--help"},
        {"-h"},
        {"help"},
        {"dump", "--help"},
        {"dump", "-h"},
        {"dump", "-p", "1", "--help"},
        {"dump", "--pid=1", "--json", "-h"},
        {"-p", "1", "-h"},
        {"top", "--help"},
        {"dump", "--help", "-p", "not-a-pid"},
    };
    for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
        Options o = parse_ok(help[i]);
        if (o.command != CMD_HELP)
            FAIL("help case #%zu: command %d, want CMD_HELP", i, (int)o.command);
    }
    static const char *const version[][5] = {
        {"-V"},         {"--version"},
        {"dump", "-V"}, {"dump", "-p", "1", "--version"},
        {"top", "-V"},  {"-p", "1", "--json", "-V"},
    };
    for (size_t i = 0; i < sizeof(version) / sizeof(version[0]); i++) {
        Options o = parse_ok(version[i]);
        if (o.command != CMD_VERSION)
            FAIL("version case #%zu: command %d, want CMD_VERSION", i, (int)o.command);
    }
}

static void
parse_twice(void **state)
{
    (void)state;
    char prog[] = "spytop", hv[] = "-hV", dump[] = "dump", p[] = "-p", five[] = "5";
    char *first[] = {prog, hv, NULL}, *second[] = {prog, dump, p, five, NULL};
    Options o;
    char *error = NULL;
    reset_getopt();
    assert_int_equal(Options_parse(2, first, &o, &error), 0);
    assert_int_equal(o.command, CMD_HELP);
    assert_int_equal(Options_parse(4, second, &o, &error), 0); /* no reset_getopt() */
    assert_null(error);
    assert_int_equal(o.command, CMD_DUMP);
    assert_int_equal(o.pid, 5);
}

/* The knobs read from the environment are read with the options. */
static void
environment_knobs(void **state)
{
    (void)state;
    static const struct {
        const char *memo, *delay, *no_color;
        bool off, check;
        unsigned delay_ms;
        bool colorless;
    } cases[] = {
        {NULL, NULL, NULL, false, false, 0, false},
        {"0", "", "", true, false, 0, false},
        {"check", "250", "1", false, true, 250, true},
        {"1", "61000", "0", false, false, 1000, true},
        {"", "x", NULL, false, false, 0, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].memo)
            setenv("SPYTOP_UNWIND_MEMO", cases[i].memo, 1);
        else
            unsetenv("SPYTOP_UNWIND_MEMO");
        if (cases[i].delay)
            setenv("SPYTOP_FAULT_ATTACH_DELAY_MS", cases[i].delay, 1);
        else
            unsetenv("SPYTOP_FAULT_ATTACH_DELAY_MS");
        if (cases[i].no_color)
            setenv("NO_COLOR", cases[i].no_color, 1);
        else
            unsetenv("NO_COLOR");
        Options o = parse_ok(ARGS("-p", "1"));
        if (o.unwind_memo_off != cases[i].off || o.unwind_memo_check != cases[i].check ||
            o.fault_attach_delay_ms != cases[i].delay_ms || o.no_color != cases[i].colorless)
            FAIL("environment case #%zu: memo off %d check %d, delay %u ms, no colour %d", i,
                 (int)o.unwind_memo_off, (int)o.unwind_memo_check, o.fault_attach_delay_ms,
                 (int)o.no_color);
    }
    unsetenv("SPYTOP_UNWIND_MEMO");
    unsetenv("SPYTOP_FAULT_ATTACH_DELAY_MS");
    unsetenv("NO_COLOR");
    /* SPYTOP_ONCPU: only "schedstat" turns the perf watch off. */
    static const struct {
        const char *value;
        bool schedstat;
    } oncpu[] = {
        {NULL, false}, {"schedstat", true}, {"perf", false}, {"", false}, {"SCHEDSTAT", false}};
    for (size_t i = 0; i < sizeof(oncpu) / sizeof(oncpu[0]); i++) {
        if (oncpu[i].value)
            setenv("SPYTOP_ONCPU", oncpu[i].value, 1);
        else
            unsetenv("SPYTOP_ONCPU");
        Options o = parse_ok(ARGS("-p", "1"));
        if (o.oncpu_schedstat != oncpu[i].schedstat)
            FAIL("SPYTOP_ONCPU=%s: schedstat %d", oncpu[i].value ? oncpu[i].value : "(unset)",
                 (int)o.oncpu_schedstat);
    }
    unsetenv("SPYTOP_ONCPU");
}

static char *
capture(void (*print)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    print(f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
help_text(void **state)
{
    (void)state;
    char *help = capture(Options_print_help);
    static const char *const needles[] = {"dump",        "--pid",  "--json",    "--stack-size",
                                          "--max-depth", "--help", "--version", "64"};
    for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
        if (!strstr(help, needles[i]))
            FAIL("--help does not mention %s", needles[i]);
    free(help);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dump_with_short_pid),
        cmocka_unit_test(dump_with_long_pid_and_json),
        cmocka_unit_test(top_is_the_default),
        cmocka_unit_test(stack_size_suffixes),
        cmocka_unit_test(stack_size_out_of_bounds),
        cmocka_unit_test(stack_size_overflow),
        cmocka_unit_test(max_depth_bounds),
        cmocka_unit_test(bad_pid),
        cmocka_unit_test(pid_lists_and_subprocesses),
        cmocka_unit_test(missing_value),
        cmocka_unit_test(unknown_command),
        cmocka_unit_test(n_is_native),
        cmocka_unit_test(unknown_option),
        cmocka_unit_test(unknown_option_in_cluster),
        cmocka_unit_test(missing_pid),
        cmocka_unit_test(json_needs_dump_and_no_extra_args),
        cmocka_unit_test(record_takes_report_formats),
        cmocka_unit_test(recording_pid_selects),
        cmocka_unit_test(help_and_version_anywhere),
        cmocka_unit_test(parse_twice),
        cmocka_unit_test(environment_knobs),
        cmocka_unit_test(help_text),
    };
    return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
