#include "config.h"

#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define PROC_MAPS_MAX_BYTES (64u << 20)

int
Proc_parse_stat(const char *text, ProcStat *out)
{
    const char *close = strrchr(text, ')');
    if (!close || close[1] != ' ')
        return -EINVAL;
    const char *open = strchr(text, '(');
    const char *p = close + 2;
    memset(out, 0, sizeof(*out));
    if (!open || open > close || !*p || *p == ' ')
        return -EINVAL;
    size_t len = (size_t)(close - open - 1);
    if (len >= sizeof(out->comm))
        len = sizeof(out->comm) - 1;
    memcpy(out->comm, open + 1, len);
    out->state = *p;
    /* Field 3 is the state; walk to fields 14, 15 and 22. */
    int field = 3;
    while (*p && field < 22) {
        if (*p == ' ') {
            field++;
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p + 1, &end, 10);
            if (end == p + 1 || errno)
                v = 0;
            if (field == 4)
                out->ppid = v <= INT_MAX ? (pid_t)v : 0;
            else if (field == 14)
                out->utime_ticks = v;
            else if (field == 15)
                out->stime_ticks = v;
            else if (field == 22) {
                if (end == p + 1)
                    return -EINVAL;
                out->start_ticks = v;
            }
        }
        p++;
    }
    return field == 22 ? 0 : -EINVAL;
}

int
Proc_parse_schedstat(const char *text, uint64_t *run_ns, uint64_t *timeslices)
{
    /* Read every tick for every thread: no sscanf. */
    uint64_t v[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        if (i && *p++ != ' ')
            return -EINVAL;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        char *end;
        errno = 0;
        v[i] = strtoull(p, &end, 10);
        if (errno)
            return -EINVAL;
        p = end;
    }
    *run_ns = v[0];
    *timeslices = v[2];
    return 0;
}

int
Proc_parse_syscall(const char *text, long *nr, uint64_t *sp, uint64_t *pc)
{
    if (strncmp(text, "running", 7) == 0)
        return -EAGAIN;
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (end == text || errno || (*end != ' ' && *end != '\n'))
        return -EINVAL;
    if (n < -1)
        return -EINVAL;
    /* Six arguments, then sp and pc; none in a system call. */
    unsigned long long v[8] = {0};
    int fields = n < 0 ? 2 : 8;
    const char *p = end;
    for (int i = 8 - fields; i < 8; i++) {
        while (*p == ' ')
            p++;
        if (strncmp(p, "0x", 2) != 0)
            return -EINVAL;
        errno = 0;
        v[i] = strtoull(p + 2, &end, 16);
        if (end == p + 2 || errno)
            return -EINVAL;
        p = end;
    }
    *nr = n;
    *sp = v[6];
    *pc = v[7];
    return 0;
}

static void
task_path(char *buf, size_t size, pid_t pid, pid_t tid, const char *leaf)
{
    if (tid > 0)
        snprintf(buf, size, "/proc/%d/task/%d/%s", (int)pid, (int)tid, leaf);
    else
        snprintf(buf, size, "/proc/%d/%s", (int)pid, leaf);
}

int
Proc_read_stat(pid_t pid, pid_t tid, ProcStat *out)
{
    char path[64], buf[1024];
    task_path(path, sizeof(path), pid, tid, "stat");
    ssize_t n = Util_read_small_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    return Proc_parse_stat(buf, out);
}

int
Proc_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
#else
    (void)pid;
    return -ENOSYS;
#endif
}

bool
Proc_pidfd_exited(int pidfd, int timeout_ms)
{
    /* A pidfd polls readable once its process has exited. */
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int
Proc_open_root(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int
Proc_open_in_root(int root_fd, const char *path)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}

int
Proc_thread_name(pid_t pid, pid_t tid, char *buf, size_t size)
{
    char path[64];
    task_path(path, sizeof(path), pid, tid, "comm");
    ssize_t n = Util_read_small_file(path, buf, size);
    if (n < 0) {
        if (size)
            buf[0] = '\0';
        return (int)n;
    }
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    return 0;
}

static int
compare_tid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

long
Proc_thread_count(pid_t pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (stat(path, &st) < 0)
        return -errno;
    return st.st_nlink > 2 ? (long)st.st_nlink - 2 : 0;
}

int
Proc_list_threads(pid_t pid, pid_t **tids, size_t *count)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    size_t n = 0, cap = 16;
    pid_t *out = xmalloc(cap * sizeof(*out));
    struct dirent *de;
    while ((de = readdir(dir))) {
        char *end;
        long v = strtol(de->d_name, &end, 10);
        if (*end || v <= 0 || v > INT_MAX)
            continue;
        out = xgrow(out, &cap, n + 1, sizeof(*out));
        out[n++] = (pid_t)v;
    }
    closedir(dir);
    qsort(out, n, sizeof(*out), compare_tid);
    *tids = out;
    *count = n;
    return 0;
}

/* PF_KTHREAD in /proc/PID/stat's flags (field 9): a kernel thread. */
#define PROC_FLAG_KTHREAD 0x00200000u

bool
Proc_is_kernel_thread(pid_t pid)
{
    char path[64], text[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (Util_read_small_file(path, text, sizeof(text)) <= 0)
        return false;
    const char *p = strrchr(text, ')'); /* the name may hold anything */
    unsigned long flags = 0;
    return p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1 &&
           (flags & PROC_FLAG_KTHREAD);
}

/* The effective uid the process runs as, from /proc/PID/status. */
bool
Proc_owner(pid_t pid, uid_t *uid)
{
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (Util_read_small_file(path, text, sizeof(text)) <= 0)
        return false;
    const char *line = strstr(text, "\nUid:");
    unsigned long real, effective;
    if (!line || sscanf(line, "\nUid: %lu %lu", &real, &effective) != 2)
        return false;
    *uid = (uid_t)effective;
    return true;
}

static void
add_pid(pid_t **out, size_t *n, size_t *cap, long v)
{
    if (v <= 0 || v > INT_MAX)
        return;
    *out = xgrow(*out, cap, *n + 1, sizeof(**out));
    (*out)[(*n)++] = (pid_t)v;
}

/* The children of one thread: "PID PID ... " in its children file. */
static int
thread_children(pid_t pid, pid_t tid, pid_t **out, size_t *n, size_t *cap)
{
    char path[80];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    long v;
    while (fscanf(f, "%ld", &v) == 1)
        add_pid(out, n, cap, v);
    fclose(f);
    return 0;
}

/* Without the children files: every process whose stat names pid as its
 * parent. */
static int
scan_children(pid_t pid, pid_t **out, size_t *n, size_t *cap)
{
    DIR *dir = opendir("/proc");
    if (!dir)
        return -errno;
    struct dirent *de;
    while ((de = readdir(dir))) {
        char *end;
        long v = strtol(de->d_name, &end, 10);
        ProcStat st;
        if (*end || v <= 0 || v > INT_MAX || v == pid)
            continue;
        if (Proc_read_stat((pid_t)v, 0, &st) == 0 && st.ppid == pid)
            add_pid(out, n, cap, v);
    }
    closedir(dir);
    return 0;
}

int
Proc_list_children(pid_t pid, pid_t **children, size_t *count)
{
    pid_t *tids;
    size_t ntids;
    int r = Proc_list_threads(pid, &tids, &ntids);
    if (r < 0)
        return r == -ENOENT ? -ESRCH : r;
    size_t n = 0, cap = 8;
    pid_t *out = xmalloc(cap * sizeof(*out));
    for (size_t i = 0; i < ntids && r == 0; i++) {
        r = thread_children(pid, tids[i], &out, &n, &cap);
        if (r == -ENOENT && Proc_read_stat(pid, tids[i], &(ProcStat){0}) == 0) {
            /* The thread is there, its children file is not. */
            n = 0;
            r = scan_children(pid, &out, &n, &cap);
            break;
        }
        if (r == -ENOENT || r == -ESRCH)
            r = 0; /* that thread exited meanwhile */
    }
    free(tids);
    if (r < 0) {
        free(out);
        return r;
    }
    qsort(out, n, sizeof(*out), compare_tid);
    /* Several threads may not name the same child, but stay safe. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i])
            out[k++] = out[i];
    *children = out;
    *count = k;
    return 0;
}

static bool
is_dead(char state)
{
    return state == 'Z' || state == 'X';
}

pid_t
Proc_live_thread(pid_t pid)
{
    ProcStat st;
    if (Proc_read_stat(pid, 0, &st) < 0)
        return 0;
    if (!is_dead(st.state))
        return pid;
    pid_t *tids, found = 0;
    size_t n;
    if (Proc_list_threads(pid, &tids, &n) < 0)
        return 0;
    for (size_t i = 0; i < n && !found; i++)
        if (tids[i] != pid && Proc_read_stat(pid, tids[i], &st) == 0 && !is_dead(st.state))
            found = tids[i];
    free(tids);
    return found;
}

bool
Proc_alive(pid_t pid)
{
    return Proc_live_thread(pid) != 0;
}

int
Proc_parse_tracer_pid(const char *status)
{
    const char *p = strstr(status, "\nTracerPid:");
    if (!p)
        return -EINVAL;
    p += strlen("\nTracerPid:");
    while (*p == ' ' || *p == '\t')
        p++;
    if (!isdigit((unsigned char)*p))
        return -EINVAL; /* a sign would pass for -errno */
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (errno || v > INT_MAX)
        return -EINVAL;
    return (int)v;
}

int
Proc_tracer_pid(pid_t pid, pid_t tid)
{
    char path[64], buf[4096];
    task_path(path, sizeof(path), pid, tid, "status");
    ssize_t n = Util_read_small_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    return Proc_parse_tracer_pid(buf);
}

long
Proc_blocked_syscall(pid_t pid, pid_t tid)
{
    char path[64], buf[256];
    task_path(path, sizeof(path), pid, tid, "syscall");
    ssize_t n = Util_read_small_file(path, buf, sizeof(buf));
    if (n < 0)
        return n;
    if (!isdigit((unsigned char)buf[0]))
        return -1; /* "running" or "-1 ..." (not in a syscall) */
    return strtol(buf, NULL, 10);
}

int
Proc_wchan(pid_t pid, pid_t tid, char *buf, size_t size)
{
    char path[64];
    task_path(path, sizeof(path), pid, tid, "wchan");
    ssize_t n = Util_read_small_file(path, buf, size);
    if (n < 0) {
        buf[0] = '\0';
        return (int)n;
    }
    if (strcmp(buf, "0") == 0)
        buf[0] = '\0';
    return 0;
}

char *
Proc_exe(pid_t pid)
{
    char path[64], buf[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0)
        return NULL;
    return xstrndup(buf, (size_t)n);
}

char *
Proc_cmdline(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    ssize_t n = Util_read_small_file(path, buf, sizeof(buf));
    if (n < 0)
        return NULL;
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    return xstrndup(buf, (size_t)n);
}

static const char *
parse_hex(const char *p, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 16);
    if (end == p || errno)
        return NULL;
    *out = v;
    return end;
}

/* One line "start-end perms offset major:minor inode   path". */
static int
parse_maps_line(const char *line, size_t len, ProcMap *m)
{
    char buf[160];
    size_t head = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
    memcpy(buf, line, head);
    buf[head] = '\0';
    const char *p = parse_hex(buf, &m->start);
    if (!p || *p != '-')
        return -EINVAL;
    p = parse_hex(p + 1, &m->end);
    if (!p || *p != ' ' || m->end < m->start)
        return -EINVAL;
    p++;
    if (strlen(p) < 5 || p[4] != ' ')
        return -EINVAL;
    m->readable = p[0] == 'r';
    m->writable = p[1] == 'w';
    m->executable = p[2] == 'x';
    m->shared = p[3] == 's';
    p = parse_hex(p + 5, &m->offset);
    if (!p || *p != ' ')
        return -EINVAL;
    uint64_t major, minor;
    p = parse_hex(p + 1, &major);
    if (!p || *p != ':')
        return -EINVAL;
    p = parse_hex(p + 1, &minor);
    if (!p || *p != ' ')
        return -EINVAL;
    m->dev_major = (unsigned)major;
    m->dev_minor = (unsigned)minor;
    char *end;
    errno = 0;
    m->inode = strtoull(p + 1, &end, 10);
    if (end == p + 1 || errno)
        return -EINVAL;
    /* The path starts after the padding and runs to the end of the line. */
    size_t off = (size_t)(end - buf);
    while (off < len && line[off] == ' ')
        off++;
    m->path = xstrndup(line + off, len - off);
    return 0;
}

int
Proc_maps_parse(const char *text, ProcMaps *out)
{
    out->maps = NULL;
    out->count = 0;
    size_t cap = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        ProcMap m;
        memset(&m, 0, sizeof(m));
        if (len > 0 && parse_maps_line(p, len, &m) == 0) {
            out->maps = xgrow(out->maps, &cap, out->count + 1, sizeof(*out->maps));
            out->maps[out->count++] = m;
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    return 0;
}

int
Proc_maps_read(pid_t pid, ProcMaps *out)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t cap = 65536, len = 0;
    char *text = xmalloc(cap);
    for (;;) {
        if (len + 4096 > cap) {
            if (cap >= PROC_MAPS_MAX_BYTES)
                break;
            text = xgrow(text, &cap, len + 4096, 1);
        }
        size_t n = fread(text + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    text[len] = '\0';
    if (err == 0)
        err = Proc_maps_parse(text, out);
    free(text);
    return err;
}

void
Proc_maps_done(ProcMaps *maps)
{
    for (size_t i = 0; i < maps->count; i++)
        free(maps->maps[i].path);
    free(maps->maps);
    maps->maps = NULL;
    maps->count = 0;
}

const ProcMap *
Proc_maps_find(const ProcMaps *maps, uint64_t addr)
{
    size_t lo = 0, hi = maps->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ProcMap *m = &maps->maps[mid];
        if (addr < m->start)
            hi = mid;
        else if (addr >= m->end)
            lo = mid + 1;
        else
            return m;
    }
    return NULL;
}

const char *
Proc_state_name(char state)
{
    switch (state) {
    case 'R':
        return "running";
    case 'S':
        return "sleeping";
    case 'D':
        return "disk wait";
    case 'T':
        return "stopped";
    case 't':
        return "tracing stop";
    case 'Z':
        return "zombie";
    case 'X':
        return "dead";
    case 'I':
        return "idle";
    case 'P':
        return "parked";
    default:
        return "unknown";
    }
}

static const char *const syscall_names[] = {
#include "syscall_names.h"
};

const char *
Proc_syscall_name(long nr)
{
    if (nr < 0 || (size_t)nr >= ARRAY_SIZE(syscall_names))
        return NULL;
    return syscall_names[nr];
}
