#include "config.h"

#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util.h"

struct Loop {
    int signal_fd;
    sigset_t old_mask;
};

/* One Loop_run. */
typedef struct Run {
    int signal_fd;
    LoopSource *source;
    Consumer *consumer;
    Aggregator *agg;
    uint64_t next_update_ns;
    bool quit;
} Run;

Loop *
Loop_new(char **cause)
{
    Loop *loop = xcalloc(1, sizeof(*loop));
    sigset_t mask;
    sigemptyset(&mask);
    int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT, SIGWINCH, SIGCHLD};
    for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
        sigaddset(&mask, signals[i]);
    sigprocmask(SIG_BLOCK, &mask, &loop->old_mask);
    loop->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (loop->signal_fd < 0) {
        *cause = xasprintf("signalfd: %s", strerror(errno));
        Loop_delete(loop);
        return NULL;
    }
    return loop;
}

void
Loop_delete(Loop *loop)
{
    if (!loop)
        return;
    if (loop->signal_fd >= 0)
        close(loop->signal_fd);
    sigprocmask(SIG_SETMASK, &loop->old_mask, NULL);
    free(loop);
}

static uint64_t
period(const Run *r)
{
    uint64_t p = r->source->period_ns ? r->source->period_ns(r->source->self) : 0;
    return p ? p : r->consumer->period_ns;
}

static void
update(Run *r)
{
    if (r->source->refresh)
        r->source->refresh(r->source->self);
    if (r->consumer->update(r->consumer->self, r->source->status, r->agg) == CONSUMER_QUIT)
        r->quit = true;
    uint64_t p = period(r);
    r->next_update_ns = p == LOOP_NO_PERIOD ? LOOP_NO_PERIOD : Util_now_ns() + p;
}

/* Ctrl-Z: nothing of the target may stay attached while spytop is stopped. */
static void
suspend(Run *r)
{
    LoopSource *s = r->source;
    Consumer *c = r->consumer;
    if (s->suspend)
        s->suspend(s->self);
    if (c->suspend)
        c->suspend(c->self);
    kill(getpid(), SIGSTOP);
    /* Running again. */
    if (c->resume)
        c->resume(c->self);
    if (s->resume)
        s->resume(s->self);
}

static void
handle_signals(Run *r)
{
    struct signalfd_siginfo si;
    while (read(r->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGINT:
        case SIGTERM:
        case SIGHUP:
        case SIGQUIT:
            r->quit = true;
            break;
        case SIGTSTP:
            suspend(r);
            break;
        case SIGWINCH:
            if (r->consumer->on_resize)
                r->consumer->on_resize(r->consumer->self);
            r->next_update_ns = 0;
            break;
        case SIGCHLD:
            /* A tracee stopped (a signal for it, a late interrupt) or exited:
             * restart or reap it now, never at the next tick. */
            if (r->source->on_child)
                r->source->on_child(r->source->self);
            break;
        default:
            break;
        }
    }
}

static void
handle_input(Run *r)
{
    ConsumerAction action = r->consumer->on_input(r->consumer->self, r->agg);
    if (action == CONSUMER_QUIT)
        r->quit = true;
    else if (action == CONSUMER_SUSPEND)
        suspend(r);
    else
        r->next_update_ns = 0;
}

/* Until the next update, at most until end_ns; -1: no limit. */
static int
timeout_ms(const Run *r, uint64_t now, uint64_t end_ns)
{
    int t = -1;
    if (r->next_update_ns != LOOP_NO_PERIOD) {
        uint64_t ms = r->next_update_ns > now ? (r->next_update_ns - now + 999999) / 1000000 : 0;
        t = ms > INT_MAX ? INT_MAX : (int)ms;
    }
    if (end_ns) {
        uint64_t ms = (end_ns - now + 999999) / 1000000;
        if (t < 0 || ms < (uint64_t)t)
            t = (int)ms;
    }
    return t;
}

/* -d ran out. A consumer that lingers (the live screen) keeps the last
 * figures on the screen until it quits, the target let go meanwhile: true.
 * Any other ends the run: false. */
static bool
keep_last_figures(Run *r, RunStatus *status)
{
    if (!r->consumer->linger_after_exit || status->exited || !r->source->suspend)
        return false;
    r->source->suspend(r->source->self);
    status->ended = true;
    update(r);
    return true;
}

void
Loop_run(Loop *loop, LoopSource *source, Consumer *consumer, Aggregator *agg, uint64_t end_ns)
{
    Run run = {.signal_fd = loop->signal_fd, .source = source, .consumer = consumer, .agg = agg};
    Run *r = &run;
    const RunStatus *status = source->status;
    update(r);
    bool ended_by_time = false;
    RunStatus *writable = source->status;
    while (!r->quit) {
        struct pollfd fds[3] = {
            {r->signal_fd, POLLIN, 0},
            {source->fd, POLLIN, 0},
            {consumer->input_fd, POLLIN, 0},
        };
        uint64_t now = Util_now_ns();
        if (end_ns && now >= end_ns) {
            ended_by_time = true;
            if (!keep_last_figures(r, writable))
                break;
            end_ns = 0;
            continue;
        }
        /* poll() leaves out the descriptors that are -1. */
        int n = poll(fds, ARRAY_SIZE(fds), timeout_ms(r, now, end_ns));
        if (n == 0 && end_ns && Util_now_ns() >= end_ns)
            continue; /* time is up: seen at the top */
        if (n < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN) {
            handle_signals(r);
            ended_by_time |= r->quit; /* a signal, not the consumer, ended it */
        }
        if (source->fd >= 0 && (fds[1].revents & POLLIN) && source->on_ready)
            source->on_ready(source->self);
        if (consumer->input_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
            handle_input(r);
        if (r->quit)
            break;
        bool ending = status->exited && !consumer->linger_after_exit;
        if (Util_now_ns() >= r->next_update_ns || ending)
            update(r);
        if (ending)
            break;
    }
    /* A consumer without its own ending (--batch, record) shows the last
     * figures when time or a signal ends the run. */
    uint64_t p = period(r);
    if (ended_by_time && !consumer->linger_after_exit && !status->exited && p != LOOP_NO_PERIOD &&
        Util_now_ns() + p - r->next_update_ns > p / 4)
        update(r);
}
