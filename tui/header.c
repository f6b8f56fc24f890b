#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowtext.h"
#include "launch.h"
#include "panels.h"
#include "terminal.h"
#include "text.h"
#include "util.h"

static void
format_duration(uint64_t ns, char *buf, size_t size)
{
    unsigned s = (unsigned)(ns / 1000000000u);
    snprintf(buf, size, "%u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);
}

int
Header_draw(Screen *s, int width)
{
    const RunStatus *st = &s->status;
    char line[512], right[128];

    /* 0: the target, and how it is doing. */
    char elapsed[32];
    format_duration(st->elapsed_ns, elapsed, sizeof(elapsed));
    if (st->exited && st->exit_known) {
        char how[64];
        Launch_describe_exit(st->exit_status, how, sizeof(how));
        snprintf(right, sizeof(right), " EXITED (%s) %s ", how, elapsed);
    } else if (st->exited)
        snprintf(right, sizeof(right), " EXITED %s ", elapsed);
    else if (st->replay)
        snprintf(right, sizeof(right), " RECORDING ");
    else if (!st->attached)
        snprintf(right, sizeof(right), " detached %s ", elapsed);
    else
        snprintf(right, sizeof(right), " %s%s ", s->paused ? "PAUSED " : "", elapsed);
    int right_w = (int)strlen(right);
    attron(Terminal_attr(COLOR_PAIR_TITLE));
    snprintf(line, sizeof(line), " spytop %s  PID %d%s: ", PACKAGE_VERSION, (int)st->pid,
             st->launched ? " (launched)" : "");
    mvhline(0, 0, ' ', width);
    mvaddstr(0, 0, line);
    int used = (int)strlen(line);
    Text_draw(0, used, st->command, width - used - right_w, 0);
    attroff(Terminal_attr(COLOR_PAIR_TITLE));
    if (width > right_w) {
        int attr = st->exited ? Terminal_attr(COLOR_PAIR_WARN) | (int)A_REVERSE
                              : Terminal_attr(COLOR_PAIR_TITLE);
        attron(attr);
        mvaddstr(0, width - right_w, right);
        attroff(attr);
    }

    /* 1: processes when several, threads and CPU (a recording has
     * threads, no live counts). */
    int len = 0;
    if (st->processes > 1 || st->processes_skipped)
        len = snprintf(line, sizeof(line), "Processes: %zu  ", st->processes);
    len += st->replay
               ? snprintf(line + len, sizeof(line) - (size_t)len, "Threads: %zu in the recording",
                          st->threads)
               : snprintf(line + len, sizeof(line) - (size_t)len,
                          "Threads: %zu (%zu running, %zu sleeping, %zu stopped, %zu late)  "
                          "%zu stopped/tick   CPU: target %.0f%%, spytop %.1f%%",
                          st->threads, st->running, st->sleeping, st->stopped, st->late_threads,
                          st->stopped_per_tick, st->target_cpu_pct, st->spytop_cpu_pct);
    if (st->python && len > 0 && (size_t)len < sizeof(line))
        len += snprintf(line + len, sizeof(line) - (size_t)len, "   %s, GIL held %.0f%%",
                        st->python, st->gil_pct);
    /* Samples whose Python and native frames did not line up. */
    if (st->python && st->python_mismatches && len > 0 && (size_t)len < sizeof(line))
        snprintf(line + len, sizeof(line) - (size_t)len, ", %llu misaligned",
                 (unsigned long long)st->python_mismatches);
    Text_draw(1, 0, line, width, 1);

    if (st->replay) {
        /* 2: a recording: which part of it the figures cover. */
        attron(A_BOLD);
        Text_draw(2, 0, st->replay, width, 1);
        attroff(A_BOLD);
        goto settings;
    }
    /* 2: the sampler, and what it costs the target. */
    /* "late" (threads that did not stop in time: a busy machine) only
     * when there are any: the line is long already. */
    char late[32] = "";
    if (st->late)
        snprintf(late, sizeof(late), "  late %llu", (unsigned long long)st->late);
    /* The counts first: a narrow terminal cuts the line's end. */
    snprintf(line, sizeof(line),
             "Samples %llu%s  errors %llu  skipped %llu   Sampling: %u Hz (%.1f reached)  "
             "stop %.0f us median, %.0f us p99",
             (unsigned long long)st->samples, late, (unsigned long long)st->errors,
             (unsigned long long)st->skipped_ticks, st->rate_hz, st->rate_reached_hz,
             (double)st->stop_median_ns / 1e3, (double)st->stop_p99_ns / 1e3);
    bool behind = st->rate_reached_hz > 0 && st->rate_reached_hz < 0.8 * st->rate_hz &&
                  !st->exited && st->elapsed_ns > 2000000000u;
    if (behind || st->errors)
        attron(Terminal_attr(COLOR_PAIR_WARN));
    Text_draw(2, 0, line, width, 1);
    if (behind || st->errors)
        attroff(Terminal_attr(COLOR_PAIR_WARN));

settings:; /* C11 labels a statement, not a declaration: clang refuses that */
    /* 3: what the list shows. */
    char thread[48] = "all threads";
    if (s->query.tid)
        snprintf(thread, sizeof(thread), "thread %d", (int)s->query.tid);
    else if (s->query.pid)
        snprintf(thread, sizeof(thread), "process %d", (int)s->query.pid);
    char window[32];
    if (s->query.cumulative)
        snprintf(window, sizeof(window), "Selected range");
    else
        snprintf(window, sizeof(window), "Window %us", s->query.window_s);
    snprintf(line, sizeof(line), "%s  by %s  %s%s%s  idle %s  sort %s%s%s", window,
             s->query.mode == AGG_BY_LINE ? "line" : "function", thread,
             s->query.gil_only ? "  GIL holder only" : "",
             s->async_on && !st->replay ? "  async" : "",
             s->query.include_idle ? "included" : "excluded", RowText_sort_name(s->query.sort),
             s->filter[0] ? "  filter: " : "", s->filter);
    attron(Terminal_attr(COLOR_PAIR_HEADER));
    Text_draw(3, 0, line, width, 1);
    attroff(Terminal_attr(COLOR_PAIR_HEADER));

    /* 4: a notice (the filter is typed on the bottom line). */
    move(4, 0);
    clrtoeol();
    if (st->message) {
        attron(Terminal_attr(COLOR_PAIR_WARN));
        Text_draw(4, 0, st->message, width, 1);
        attroff(Terminal_attr(COLOR_PAIR_WARN));
    } else if (st->ended) {
        attron(Terminal_attr(COLOR_PAIR_WARN));
        Text_draw(
            4, 0,
            "Sampling ended (-d): the figures are the last; the target runs on. Press q to quit.",
            width, 1);
        attroff(Terminal_attr(COLOR_PAIR_WARN));
    } else if (st->exited) {
        attron(Terminal_attr(COLOR_PAIR_WARN));
        Text_draw(4, 0, "The target has exited: the figures are its last. Press q to quit.", width,
                  1);
        attroff(Terminal_attr(COLOR_PAIR_WARN));
    } else if (st->not_sampled_text) {
        char *notice = xasprintf("Not sampled: %s", st->not_sampled_text);
        attron(Terminal_attr(COLOR_PAIR_WARN));
        Text_draw(4, 0, notice, width, 1);
        attroff(Terminal_attr(COLOR_PAIR_WARN));
        free(notice);
    }
    return 5;
}
