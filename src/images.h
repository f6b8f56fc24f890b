/* The target's memory that does not change while it runs: read-only
 * file-backed mappings, served from a private read-only mmap of the same
 * file, and the vDSO, copied once. The unwinder reads code and unwind tables
 * from here at any time, without touching the target. Files are opened
 * through /proc/PID/map_files (the exact file mapped, also when deleted or in
 * a container) or else /proc/PID/root, non-blocking, regular files only. */
#ifndef SPYTOP_SRC_IMAGES_H
#define SPYTOP_SRC_IMAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Images Images;

/* Where a module's .eh_frame_hdr binary search table sits in the target. */
typedef struct UnwindTable {
    uint64_t start_ip, end_ip; /* the module's executable range */
    uint64_t hdr_addr;         /* .eh_frame_hdr: base for datarel entries */
    uint64_t table_addr;       /* first (initial_loc, fde) pair */
    uint64_t fde_count;
} UnwindTable;

Images *Images_new(pid_t pid);
void Images_delete(Images *images);

/* Re-reads /proc/PID/maps; files already open stay open. 0 or -errno. */
int Images_refresh(Images *images);

/* Number of refreshes that found the mappings changed; starts at 1. */
unsigned Images_generation(const Images *images);
/* The same for the mappings of files only: a file mapped, unmapped or
 * moved, not anonymous memory such as the stacks of threads that come and
 * go. Starts at 1. */
unsigned Images_file_generation(const Images *images);

/* Copies len bytes at addr; 0, or -EFAULT when addr is not in a read-only
 * file-backed mapping (or the vDSO) whose bytes are known. */
int Images_read(Images *images, uint64_t addr, void *buf, size_t len);

/* True when addr lies in any mapping of the target. */
int Images_is_mapped(const Images *images, uint64_t addr);

/* True when addr lies in an executable mapping: where a return address
 * can point. */
int Images_is_executable(const Images *images, uint64_t addr);

/* The unwind table of the module that holds pc. 0, or -ENOENT. */
int Images_unwind_table(Images *images, uint64_t pc, UnwindTable *out);

#endif
