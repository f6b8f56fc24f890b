#include "config.h"

#include "terminal.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

/* The terminal state is process-wide by nature: these are the only
 * mutable globals the style allows. */
static bool started;
static bool colors;
static bool utf8;
static int saved_stderr = -1;
static int held_stderr = -1;
static struct termios saved_termios;
static bool have_termios;

static void
restore_on_crash(int sig)
{
    /* Async-signal-safe subset: put the tty back, leave the alternate
     * screen, show the cursor; then die the way we were going to. */
    if (have_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    static const char reset[] = "\033[0m\033[?1049l\033[?25h\r\n";
    ssize_t r = write(STDOUT_FILENO, reset, sizeof(reset) - 1);
    (void)r;
    if (saved_stderr >= 0)
        dup2(saved_stderr, STDERR_FILENO);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
install_crash_handlers(void)
{
    int signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = restore_on_crash;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        sigaction(signals[i], &sa, NULL);
}

bool
Terminal_available(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

const char *
Terminal_library_version(bool running)
{
    if (!running)
        return NCURSES_VERSION "." UTIL_STR(NCURSES_VERSION_PATCH);
    /* "ncurses 6.4.20221231" */
    const char *v = curses_version();
    const char *space = strrchr(v, ' ');
    return space ? space + 1 : v;
}

static void
hold_stderr(void)
{
    held_stderr = memfd_create("spytop-stderr", MFD_CLOEXEC);
    if (held_stderr < 0)
        held_stderr = open("/dev/null", O_WRONLY | O_CLOEXEC);
    saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (held_stderr >= 0 && saved_stderr >= 0)
        dup2(held_stderr, STDERR_FILENO);
}

static void
release_stderr(void)
{
    if (saved_stderr < 0)
        return;
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
    if (held_stderr >= 0) {
        char buf[4096];
        ssize_t n;
        if (lseek(held_stderr, 0, SEEK_SET) == 0)
            while ((n = read(held_stderr, buf, sizeof(buf))) > 0)
                if (write(STDERR_FILENO, buf, (size_t)n) < 0)
                    break;
        close(held_stderr);
        held_stderr = -1;
    }
}

static void
setup_colors(bool wanted)
{
    colors = wanted && has_colors();
    if (!colors)
        return;
    start_color();
    use_default_colors();
    init_pair(COLOR_PAIR_HEADER, COLOR_CYAN, -1);
    init_pair(COLOR_PAIR_TITLE, COLOR_BLACK, COLOR_GREEN);
    init_pair(COLOR_PAIR_SELECTED, COLOR_BLACK, COLOR_CYAN);
    init_pair(COLOR_PAIR_HOT, COLOR_RED, -1);
    init_pair(COLOR_PAIR_WARN, COLOR_YELLOW, -1);
    init_pair(COLOR_PAIR_DIM, COLOR_BLUE, -1);
    init_pair(COLOR_PAIR_BAR, COLOR_BLACK, COLOR_WHITE);
}

int
Terminal_start(bool color)
{
    if (!Terminal_available()) {
        fputs("spytop: the live view needs a terminal; use --batch for plain text\n", stderr);
        return -1;
    }
    setlocale(LC_ALL, "");
    utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
    install_crash_handlers();
    hold_stderr();
    if (!initscr()) {
        release_stderr();
        fputs("spytop: cannot initialise the terminal (is TERM set?)\n", stderr);
        return -1;
    }
    started = true;
    /* raw: Ctrl-C and Ctrl-Z arrive as keys, so spytop detaches before
     * anything stops or ends. */
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    setup_colors(color);
    return 0;
}

void
Terminal_stop(void)
{
    if (started) {
        endwin();
        started = false;
    }
    release_stderr();
}

void
Terminal_suspend(void)
{
    if (started)
        endwin();
}

void
Terminal_resume(void)
{
    if (started) {
        refresh();
        clearok(stdscr, TRUE);
    }
}

bool
Terminal_utf8(void)
{
    return utf8;
}

int
Terminal_attr(enum TerminalColor pair)
{
    if (colors)
        return (int)(COLOR_PAIR(pair) | (pair == COLOR_PAIR_HOT ? A_BOLD : 0));
    switch (pair) {
    case COLOR_PAIR_TITLE:
    case COLOR_PAIR_SELECTED:
    case COLOR_PAIR_BAR:
        return (int)A_REVERSE;
    case COLOR_PAIR_HOT:
    case COLOR_PAIR_WARN:
        return (int)A_BOLD;
    default:
        return (int)A_NORMAL;
    }
}
