/* The ptrace state machine: seize threads (every one, or each when it must
 * stop: Tracer_seize_on_demand), interrupt, tell stops apart, restart each
 * kind of stop the only correct way, park or detach. The only user of
 * <sys/ptrace.h> and of waitid/waitpid. Rules it keeps (see PTRACE.md):
 * PTRACE_SEIZE only, never PTRACE_O_EXITKILL; stops are observed with
 * WNOWAIT and consumed only by the restart, so a signal is never lost even
 * if spytop dies; a group-stop is restarted with PTRACE_LISTEN; one
 * outstanding interrupt per thread at most. */
#ifndef SPYTOP_SRC_TRACER_H
#define SPYTOP_SRC_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"

typedef enum TraceState {
    TRACE_RUNNING,       /* seized and running (or LISTENing in a group-stop) */
    TRACE_STOPPED,       /* in an interrupt stop: registers readable */
    TRACE_GROUP_STOPPED, /* in a group-stop reported to us: registers readable */
    TRACE_GONE,          /* exited (reaped, or a parked one missing from a
                          * listing), or refused when seized again */
    TRACE_PARKED,        /* followed but not seized: runs untraced until it
                          * must stop (Tracer_park, Tracer_seize_on_demand) */
} TraceState;

typedef struct TraceThread {
    pid_t tid;
    TraceState state;
    bool interrupt_pending; /* an interrupt was sent and its stop not seen yet */
    bool group_stopped;     /* the thread sits in a group-stop (SIGSTOP & co) */
    bool handed;            /* its stop was taken by another Tracer's poll and
                             * handed here: the next poll returns it */
    uint64_t interrupted_ns;
    uint64_t holder_check_ns; /* parked, found after attach: when to read
                               * whether another tracer holds it; 0: read */
} TraceThread;

typedef struct Tracer Tracer;

Tracer *Tracer_new(pid_t pid);
/* Threads seized by every Tracer of spytop: what a waitid(P_ALL) walks. */
size_t Tracer_all_thread_count(void);

/* Whether Tracer_sync_threads parks the threads it finds instead of
 * seizing them (sampling; not for a one-shot dump, which detaches).
 * A wait for any tracee walks every one of them in the kernel, at each
 * tick that stopped a thread (2,000 tracees: 0.3-0.6 ms a walk), and every
 * tracee's signal waits for spytop to pass it on: a thread that sleeps is
 * better left untraced. A parked thread is seized by Tracer_interrupt
 * when it must stop; then parked again by Tracer_park. The leader is
 * always seized (its exit status is reported through it). An exec by a
 * parked thread is not reported: a sync finds it (the leader's tid no
 * tracee any more) and counts it as one. While no thread is seized, sync
 * seizes the first it can, so that a refusal (no permission) shows at
 * attach (the leader may be a zombie: pthread_exit). Whether another
 * tracer holds a thread is read at attach, and for a thread found later,
 * a second after (most threads of a churning pool are gone by then), or
 * at once when a seize of it is refused. */
void Tracer_seize_on_demand(Tracer *tracer, bool on);

/* Frees the table. Threads still seized are detached by the kernel when
 * spytop exits; call Tracer_detach_all first for a clean exit. */
void Tracer_delete(Tracer *tracer);

/* Seizes one thread. 0; -ESRCH when it is gone (also for an exiting thread,
 * which the kernel reports as EPERM); -EPERM when not allowed; -EBUSY when
 * another tracer holds it. */
int Tracer_seize(Tracer *tracer, pid_t tid);

/* Seizes (or parks) threads that appeared in /proc/PID/task since the last
 * call and forgets threads that are gone, parked ones too. Returns how many
 * were added, or -errno when the process itself is gone or not even one
 * thread could be followed. */
int Tracer_sync_threads(Tracer *tracer);

/* Tracer_sync_threads when the threads may have changed since the last
 * one, else 0. Listing /proc/PID/task costs a dentry a thread (2,000
 * threads: some 0.5 ms); this asks first what costs one stat: whether the
 * kernel's thread count moved, or a thread of ours exited or exec'd.
 * Equal counts can hide a birth only behind the exit of a thread spytop
 * does not trace: one it was refused, or a parked one whose exit the
 * sampler has not noticed yet (at its next look, the exit having moved its
 * run mark, seizing it fails and marks the change). A full sync at least
 * every TRACER_RESYNC_NS finds that thread too. */
#define TRACER_RESYNC_NS (1000u * 1000 * 1000)
int Tracer_sync_changed_threads(Tracer *tracer);

/* A thread of the process that the last Tracer_sync_threads could not
 * seize, and why: -EBUSY (another tracer, tracer_pid, holds it) or
 * -EPERM. It is tried again at each sync. */
typedef struct TraceRefusal {
    pid_t tid;
    int err;
    pid_t tracer_pid; /* 0 when unknown */
} TraceRefusal;

/* The refusals of the last sync; borrowed until the next one. */
size_t Tracer_refused(const Tracer *tracer, const TraceRefusal **refused);

size_t Tracer_thread_count(const Tracer *tracer);
/* Borrowed; valid until the next Tracer_sync_threads. */
TraceThread *Tracer_thread(Tracer *tracer, size_t index);
TraceThread *Tracer_find(Tracer *tracer, pid_t tid);

/* Brackets a run of Tracer_interrupt calls (on, then off) that contains
 * no blocking call: the guard of each seize (a timer, see tracer.c) is
 * set once for the run instead of once for each seize. */
void Tracer_seize_batch(bool on);

/* Asks a running thread to stop; does nothing when it is stopped or an
 * interrupt is already outstanding. A parked thread is seized first: a
 * refusal (-EPERM: another tracer took it meanwhile) leaves it to the next
 * sync, which names it. 0 or -errno (-ESRCH: gone). */
int Tracer_interrupt(Tracer *tracer, TraceThread *thread);

/* Handles the next pending event of any tracee. Signal-delivery stops are
 * restarted with their signal, other ptrace events are continued, exits are
 * reaped. Returns 1 and sets *stopped when a thread entered a stop in which
 * its registers can be read (the caller must resume or detach it before
 * polling again), 0 when nothing is pending, -errno on failure. */
int Tracer_poll(Tracer *tracer, TraceThread **stopped);

/* The same for the events of one thread only (those of the others stay
 * pending for the next Tracer_poll): cheaper when few threads were
 * interrupted among many, as waitid for all tracees walks them all. */
int Tracer_poll_thread(Tracer *tracer, pid_t tid, TraceThread **stopped);

/* Registers and memory of a stopped thread. 0 or -errno. */
int Tracer_get_regs(Tracer *tracer, TraceThread *thread, ArchRegs *regs);

/* Restarts a stopped thread: PTRACE_CONT for an interrupt stop,
 * PTRACE_LISTEN for a group-stop (so a stopped program stays stopped). */
int Tracer_resume(Tracer *tracer, TraceThread *thread);
/* Detaches a stopped thread; a group-stopped one stays stopped. */
int Tracer_detach(Tracer *tracer, TraceThread *thread);
/* Lets a thread stopped in an interrupt stop go untraced but followed
 * (TRACE_PARKED): detached, so it runs on (its blocking call restarted, as
 * after Tracer_resume) with no tracer to wait for. The leader and a
 * group-stopped thread are resumed instead. 0 or -errno. */
int Tracer_park(Tracer *tracer, TraceThread *thread);

/* Resumes every stopped thread and handles every pending event: what the
 * event loop calls between samples so that no thread waits on spytop. */
void Tracer_drain(Tracer *tracer);
/* Whether a drain of another Tracer handed this one stops it has not taken
 * yet (waitid reports every tracee of spytop's together). */
bool Tracer_has_handed(const Tracer *tracer);
/* Whether any Tracer of spytop has such stops (several processes). */
bool Tracer_any_handed(void);

/* Interrupts and detaches every seized thread (parked ones are not
 * traced), waiting at most timeout_ns for stops. Returns how many threads could not be detached
 * explicitly (they are detached by the kernel when spytop exits). */
size_t Tracer_detach_all(Tracer *tracer, uint64_t timeout_ns);

/* True once the target's main thread was seen exiting; *wait_status is
 * the status as waitpid(2) reports it. */
bool Tracer_target_exited(const Tracer *tracer, int *wait_status);

/* How many times a thread of the target has called execve since attach:
 * when it changes, every mapping (and the program) has changed. */
unsigned Tracer_exec_count(const Tracer *tracer);

#endif
