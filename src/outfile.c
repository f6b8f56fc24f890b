#include "config.h"
#include "outfile.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <unistd.h>

static const char *const refused_dirs[] = {"/proc", "/sys", "/dev"};

/* The kernel's own file systems, wherever they are mounted. */
static const char *
pseudo_fs(long type)
{
    switch (type) {
    case PROC_SUPER_MAGIC:
        return "procfs";
    case SYSFS_MAGIC:
        return "sysfs";
    case DEBUGFS_MAGIC:
        return "debugfs";
    case TRACEFS_MAGIC:
        return "tracefs";
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
        return "cgroupfs";
    case SECURITYFS_MAGIC:
        return "securityfs";
    case BPF_FS_MAGIC:
        return "bpffs";
    case DEVPTS_SUPER_MAGIC:
        return "devpts";
    default:
        return NULL;
    }
}

static void
set_cause(char **cause, char *msg)
{
    if (cause)
        *cause = msg;
    else
        free(msg);
}

static char *
refusal(const char *path, const char *where)
{
    return xasprintf("'%s' is %s: spytop writes only regular files, outside /proc, /sys "
                     "and /dev",
                     path, where);
}

/* The null device, by what it is rather than by its name. */
static bool
is_dev_null(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

char *
Outfile_dir(const char *path)
{
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    if (!slash) {
        free(copy);
        return xstrdup(".");
    }
    slash[slash == copy] = '\0'; /* "/x": "/" */
    return copy;
}

bool
Outfile_is_null(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && is_dev_null(&st);
}

bool
Outfile_check_path(const char *path, char **cause)
{
    struct stat st;
    if (Outfile_is_null(path))
        return true;
    if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode)) {
        set_cause(cause, S_ISDIR(st.st_mode)
                             ? xasprintf("'%s' is a directory: name a file in it", path)
                             : xasprintf("'%s' is not a regular file", path));
        return false;
    }
    char *dir = Outfile_dir(path);
    char *real = realpath(dir, NULL);
    bool ok = true;
    if (real) {
        for (size_t i = 0; ok && i < ARRAY_SIZE(refused_dirs); i++) {
            size_t n = strlen(refused_dirs[i]);
            if (strncmp(real, refused_dirs[i], n) == 0 && (real[n] == '\0' || real[n] == '/')) {
                char *where = xasprintf("under %s", refused_dirs[i]);
                set_cause(cause, refusal(path, where));
                free(where);
                ok = false;
            }
        }
        struct statfs fs;
        const char *name;
        if (ok && statfs(real, &fs) == 0 && (name = pseudo_fs((long)fs.f_type))) {
            char *where = xasprintf("on %s", name);
            set_cause(cause, refusal(path, where));
            free(where);
            ok = false;
        }
    }
    free(real);
    free(dir);
    return ok;
}

bool
Outfile_check_fd_or_close(int fd, const char *path, char **cause)
{
    struct stat st;
    struct statfs fs;
    const char *name = NULL;
    if (fstat(fd, &st) == 0 && is_dev_null(&st))
        return true;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_cause(cause, xasprintf("'%s' is not a regular file", path));
    } else if (fstatfs(fd, &fs) == 0 && (name = pseudo_fs((long)fs.f_type))) {
        char *where = xasprintf("on %s", name);
        set_cause(cause, refusal(path, where));
        free(where);
    } else {
        return true;
    }
    close(fd);
    return false;
}

static char *
open_failure(const char *path, int err)
{
    struct stat lst;
    bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (err == ELOOP || (err == EEXIST && link))
        return xasprintf("'%s' is a symbolic link: not followed", path);
    if (err == EEXIST)
        return xasprintf("'%s' already exists (--force overwrites it)", path);
    if (err == ENXIO)
        return xasprintf("'%s' is not a regular file", path);
    return xasprintf("cannot create '%s': %s", path, strerror(err));
}

bool
Outfile_check_new(const char *path, bool force, char **cause)
{
    if (!Outfile_check_path(path, cause))
        return false;
    if (Outfile_is_null(path))
        return true;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            set_cause(cause, open_failure(path, ELOOP));
            return false;
        }
        if (!force) {
            set_cause(cause, open_failure(path, EEXIST));
            return false;
        }
        return true;
    }
    char *dir = Outfile_dir(path);
    int err = access(dir, W_OK | X_OK) == 0 ? 0 : errno;
    free(dir);
    if (err) {
        set_cause(cause, open_failure(path, err));
        return false;
    }
    return true;
}

int
Outfile_open(const char *path, bool force, mode_t mode, bool *created, char **cause)
{
    *created = false;
    if (!Outfile_check_path(path, cause))
        return -1;
    if (Outfile_is_null(path)) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            set_cause(cause, open_failure(path, errno));
        return fd;
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a reader. */
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (force ? 0 : O_EXCL);
    int fd = open(path, flags, mode);
    if (fd < 0) {
        set_cause(cause, open_failure(path, errno));
        return -1;
    }
    *created = !force;
    if (!Outfile_check_fd_or_close(fd, path, cause))
        return -1;
    /* Truncated only now that it is known to be a regular file. */
    const char *step = NULL;
    if (force && ftruncate(fd, 0) != 0)
        step = "truncate";
    else if (fcntl(fd, F_SETFL, 0) != 0) /* blocking writes from here on */
        step = "fcntl";
    if (step) {
        set_cause(cause, xasprintf("%s '%s': %s", step, path, strerror(errno)));
        close(fd);
        return -1;
    }
    return fd;
}
