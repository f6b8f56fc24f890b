/* Reading the target's memory for the CPython readers (pyframes, pywalk,
 * pycode): bounded process_vm_readv copies that fail rather than return
 * part of what was asked, and unaligned loads from copied bytes. */
#ifndef SPYTOP_SRC_PYMEM_H
#define SPYTOP_SRC_PYMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Copies len bytes at addr of process pid; false unless all were read. */
static inline bool
PyMem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    if (addr == 0 || len == 0 || addr + len < addr)
        return false;
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static inline bool
PyMem_read_u64(pid_t pid, uint64_t addr, uint64_t *out)
{
    return PyMem_read(pid, addr, out, sizeof(*out));
}

/* The 8 bytes at buf + off (which the caller checked are there). */
static inline uint64_t
PyMem_get_u64(const uint8_t *buf, uint64_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, sizeof(v));
    return v;
}

#endif
