#include "config.h"
#include "outfile.h"
#include "util.h"
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

bool
Outfile_check_path(const char *path, char **cause)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode)) {
        set_cause(cause, S_ISDIR(st.st_mode)
                             ? xasprintf("'%s' is a directory: name a file in it", path)
                             : xasprintf("'%s' is not a regular file", path));
        return false;
    }
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    const char *dir = !slash ? "." : slash == copy ? "/" : (*slash = '\0', copy);
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
    free(copy);
    return ok;
}

bool
Outfile_check_fd_or_close(int fd, const char *path, char **cause)
{
    struct stat st;
    struct statfs fs;
    const char *name = NULL;
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
