#ifndef SPYTOP_SRC_OUTFILE_H
#define SPYTOP_SRC_OUTFILE_H

#include <stdbool.h>

/* Where spytop may write a file it is told to (-o): a regular file, new or
 * existing, outside /proc, /sys and /dev (and outside any procfs, sysfs,
 * debugfs, cgroupfs ... mounted elsewhere), --force or not. Writing a
 * recording into /proc/PID/mem would write into a process's memory. */

/* Before opening: false, with *cause set, when path is a directory, an
 * existing non-regular file, or in one of those places. */
bool Outfile_check_path(const char *path, char **cause);

/* After opening (the place may have changed in between): false, with
 * *cause set and fd closed, when fd is not a regular file or lives on one
 * of those file systems. */
bool Outfile_check_fd_or_close(int fd, const char *path, char **cause);

#endif
