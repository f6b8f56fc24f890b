/* /proc readers: threads, names, states, maps, exe, cmdline. Nothing here
 * stops or otherwise touches the target. Text from /proc is untrusted:
 * parsers are bounded and tolerate any bytes. */
#ifndef SPYTOP_SRC_PROC_H
#define SPYTOP_SRC_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ProcStat {
    char comm[16];        /* field 2, as /proc/PID/task/TID/comm has it */
    char state;           /* R, S, D, T, t, Z, X, I, ... */
    pid_t ppid;           /* field 4 */
    uint64_t utime_ticks; /* field 14 */
    uint64_t stime_ticks; /* field 15 */
    uint64_t start_ticks; /* field 22: start time since boot, in clock ticks */
} ProcStat;

typedef struct ProcMap {
    uint64_t start, end, offset;
    uint64_t inode;
    unsigned dev_major, dev_minor;
    bool readable, writable, executable, shared;
    char *path; /* as /proc shows it (escapes kept); "" for anonymous maps */
} ProcMap;

typedef struct ProcMaps {
    ProcMap *maps; /* sorted by start, as the kernel prints them */
    size_t count;
} ProcMaps;

/* Parses a stat line ("pid (comm) S ..."); comm may contain anything,
 * so fields are taken after the last ')'. Returns 0 or -EINVAL. */
int Proc_parse_stat(const char *text, ProcStat *out);
int Proc_read_stat(pid_t pid, pid_t tid, ProcStat *out);

/* A pidfd for pid (pidfd_open, Linux 5.3+), or -errno. It names the process,
 * not the number: Proc_pidfd_exited tells whether that very process has
 * exited, even after its PID was handed to another one, waiting for that up
 * to timeout_ms (0: not at all). */
int Proc_pidfd_open(pid_t pid);
bool Proc_pidfd_exited(int pidfd, int timeout_ms);

/* /proc/PID/task/TID/schedstat ("run_ns wait_ns timeslices"): the time the
 * thread spent on a CPU and how many times it was put on one. 0 or -EINVAL. */
int Proc_parse_schedstat(const char *text, uint64_t *run_ns, uint64_t *timeslices);

/* /proc/PID/task/TID/syscall of a thread blocked in a system call ("nr
 * arg1 ... arg6 sp pc", in hex after nr): its number, stack pointer and
 * pc; of one stopped outside any ("-1 sp pc": by a signal, job control),
 * nr -1 and its sp and pc. -EAGAIN when it runs ("running"), -EINVAL for
 * anything else. */
int Proc_parse_syscall(const char *text, long *nr, uint64_t *sp, uint64_t *pc);

/* The target's root directory (/proc/PID/root) as an O_PATH descriptor, or
 * -errno; and a file opened inside it: absolute symlinks on the way resolve
 * in that root too, never on the host. Read-only, non-blocking, no
 * controlling terminal; -1 and errno on failure. */
int Proc_open_root(pid_t pid);
int Proc_open_in_root(int root_fd, const char *path);

/* The thread's comm, at most 15 bytes, into buf (size >= 16). 0 or -errno. */
int Proc_thread_name(pid_t pid, pid_t tid, char *buf, size_t size);

/* How many threads pid has, as the kernel counts them (exited ones not yet
 * reaped by their tracer included): /proc/PID/task's link count is two
 * plus that, so one stat answers without listing the directory. -errno. */
long Proc_thread_count(pid_t pid);

/* Every tid of pid, sorted ascending, into a new array the caller frees. */
int Proc_list_threads(pid_t pid, pid_t **tids, size_t *count);

/* Whether pid is a kernel thread (PF_KTHREAD in its stat's flags). */
bool Proc_is_kernel_thread(pid_t pid);
/* The effective uid pid runs as (/proc/PID/status); false when unknown. */
bool Proc_owner(pid_t pid, uid_t *uid);

/* The children of pid (processes whose parent is one of its threads),
 * sorted ascending, into a new array the caller frees: from
 * /proc/PID/task/TID/children, or where the kernel has no such file, from
 * every process's stat. 0 or -errno (-ESRCH: pid is gone). */
int Proc_list_children(pid_t pid, pid_t **children, size_t *count);

/* "TracerPid:" of /proc/PID/status: >= 0, or -errno. The parser takes
 * the file's NUL-terminated text: >= 0, or -EINVAL. */
int Proc_parse_tracer_pid(const char *status);
int Proc_tracer_pid(pid_t pid, pid_t tid); /* tid 0: the process */

/* A thread of the process that still runs: pid itself when its leader is
 * not a zombie, else (a leader that called pthread_exit) another thread
 * that is not; 0 when none is left (the process has exited). */
pid_t Proc_live_thread(pid_t pid);
bool Proc_alive(pid_t pid);

/* /proc/PID/task/TID/syscall: the syscall number the thread is blocked in,
 * -1 when it is not in a syscall or running, -errno when unreadable. */
long Proc_blocked_syscall(pid_t pid, pid_t tid);

/* /proc/PID/task/TID/wchan into buf ("" when none). 0 or -errno. */
int Proc_wchan(pid_t pid, pid_t tid, char *buf, size_t size);

/* Allocated strings the caller frees; NULL when unreadable. The cmdline's
 * NUL separators become spaces. */
char *Proc_exe(pid_t pid);
char *Proc_cmdline(pid_t pid);

int Proc_maps_parse(const char *text, ProcMaps *out);
int Proc_maps_read(pid_t pid, ProcMaps *out);
void Proc_maps_done(ProcMaps *maps);
/* The map holding addr, or NULL. Borrowed from maps. */
const ProcMap *Proc_maps_find(const ProcMaps *maps, uint64_t addr);

/* "running", "sleeping", "disk wait", "stopped", ... for a stat state letter. */
const char *Proc_state_name(char state);

/* The name of syscall nr on this architecture, or NULL. */
const char *Proc_syscall_name(long nr);

#endif
