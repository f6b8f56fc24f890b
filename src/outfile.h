#ifndef SPYTOP_SRC_OUTFILE_H
#define SPYTOP_SRC_OUTFILE_H

#include <stdbool.h>
#include <sys/types.h>

/* Where spytop may write a file it is told to (-o): a regular file, new or
 * existing, outside /proc, /sys and /dev (and outside any procfs, sysfs,
 * debugfs, cgroupfs ... mounted elsewhere), --force or not. Writing a
 * recording into /proc/PID/mem would write into a process's memory. The
 * one exception is /dev/null, where output is asked to vanish. */

/* Before opening: false, with *cause set, when path is a directory, an
 * existing non-regular file, or in one of those places. */
bool Outfile_check_path(const char *path, char **cause);

/* Before anything is done that the output is for (attaching to a target):
 * Outfile_check_path, and what Outfile_open would refuse too: an existing
 * file without force, a symbolic link, a directory that does not exist or
 * cannot be written. true, or false with *cause set. The place may still
 * change before Outfile_open, which checks again. */
bool Outfile_check_new(const char *path, bool force, char **cause);

/* The directory a file at path is created in ("." for a bare name). New. */
char *Outfile_dir(const char *path);

/* path names the null device (output asked to vanish). */
bool Outfile_is_null(const char *path);

/* After opening (the place may have changed in between): false, with
 * *cause set and fd closed, when fd is not a regular file or lives on one
 * of those file systems. */
bool Outfile_check_fd_or_close(int fd, const char *path, char **cause);

/* Opens path for writing with the checks above: created with mode, never
 * through a symbolic link, an existing file refused unless force (and then
 * truncated, once known to be a regular file); a FIFO is never waited on.
 * The descriptor returned is blocking and close-on-exec; *created says
 * whether this call made the file (so a failure after it may unlink it).
 * Or -1 with *cause set. */
int Outfile_open(const char *path, bool force, mode_t mode, bool *created, char **cause);

#endif
