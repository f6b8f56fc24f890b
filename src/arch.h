/* Everything that depends on the CPU architecture: the register set a
 * snapshot holds, where its pc and sp live, and the DWARF register
 * numbering the unwinder asks for. Only x86-64 today; an aarch64 port
 * adds a second arch_*.c behind this header. */
#ifndef SPYTOP_SRC_ARCH_H
#define SPYTOP_SRC_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

typedef struct user_regs_struct ArchRegs;

/* Bytes below sp that leaf functions may use without moving sp. */
#define ARCH_RED_ZONE 128

static inline uint64_t
Arch_pc(const ArchRegs *regs)
{
    return regs->rip;
}

static inline uint64_t
Arch_sp(const ArchRegs *regs)
{
    return regs->rsp;
}

/* The thread pointer (x86-64: fs_base), which is also glibc's pthread_t. */
static inline uint64_t
Arch_thread_pointer(const ArchRegs *regs)
{
    return regs->fs_base;
}

/* True when the thread was stopped while blocked in a system call that the
 * stop interrupted (it restarts on resume, or fails with EINTR): the thread was waiting, even if
 * /proc said "running" because the stop itself had just woken it. */
bool Arch_in_interrupted_syscall(const ArchRegs *regs);

/* True when the thread was stopped in a system call, whatever its result. */
static inline bool
Arch_in_syscall(const ArchRegs *regs)
{
    return (long long)regs->orig_rax >= 0;
}

/* True when a stop caught the thread between a restart of its system call
 * and the system call itself: pc back on the syscall instruction, the
 * number (or restart_syscall) in place again (a stop that came before the
 * restarted call was issued sees orig_rax reset: pc on a syscall
 * instruction is then enough). code holds the bytes at pc,
 * code_len how many could be read. Together with
 * Arch_in_interrupted_syscall: a blocked thread the previous stop woke. */
bool Arch_syscall_restart_pending(const ArchRegs *regs, const uint8_t *code, size_t code_len);

/* Whether a thread stopped with regs in a system call (interrupted, to be
 * restarted, or failed with EINTR as epoll_wait does), and resumed, is
 * blocked again in that call at the same place: /proc/TID/syscall now says
 * nr, sp and pc. The call may have been restarted as restart_syscall. */
bool Arch_blocked_again(const ArchRegs *regs, long nr, uint64_t sp, uint64_t pc);

/* Whether a thread stopped with regs outside any system call (a job-control
 * stop caught it running) is still stopped there: /proc/TID/syscall now
 * says nr -1 at the same sp and pc. */
bool Arch_stopped_again(const ArchRegs *regs, long nr, uint64_t sp, uint64_t pc);

/* Bytes at the pc Arch_syscall_restart_pending needs. */
#define ARCH_SYSCALL_INSN_LEN 2

/* The register with DWARF number regno; false when it is not one. */
bool Arch_dwarf_reg(const ArchRegs *regs, int regno, uint64_t *value);

/* The DWARF numbers of the pc and sp registers. */
#define ARCH_DWARF_PC 16
#define ARCH_DWARF_SP 7

/* The CFA at a function's first instruction is sp plus this (x86-64: the
 * return address the call just pushed). */
#define ARCH_ENTRY_CFA_OFFSET 8

/* The next direct jump (x86-64: a rel32 jmp or jcc) at or after *pos in
 * code, the len bytes at addr: its target in *target, *pos moved past it.
 * Found by its encoding at any byte offset, not by decoding instructions:
 * a candidate, which the caller must validate. False when there is none. */
bool Arch_next_jump(const uint8_t *code, size_t len, uint64_t addr, size_t *pos, uint64_t *target);

#endif
