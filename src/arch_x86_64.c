#include "config.h"

#include "arch.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

/* The kernel's internal restart codes, left in rax while a thread whose
 * system call was interrupted sits in a ptrace stop. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

bool
Arch_in_interrupted_syscall(const ArchRegs *r)
{
    if ((long long)r->orig_rax < 0)
        return false;
    long long rax = (long long)r->rax;
    /* EINTR: a call the stop ended for good (epoll_wait, and others when
     * stopped). */
    return rax == -EINTR || rax == -ERESTARTSYS || rax == -ERESTARTNOINTR ||
           rax == -ERESTARTNOHAND || rax == -ERESTART_RESTARTBLOCK;
}

bool
Arch_syscall_restart_pending(const ArchRegs *r, const uint8_t *code, size_t code_len)
{
    static const long long restart_syscall_nr = SYS_restart_syscall, max_syscall_nr = 1023;
    if (code_len < 2 || code[0] != 0x0f || code[1] != 0x05)
        return false;
    /* A second stop before the restarted call was issued finds orig_rax
     * reset to -1: the number in rax is all that is left of it. */
    if ((long long)r->orig_rax < 0)
        return r->rax <= (uint64_t)max_syscall_nr;
    return r->rax == r->orig_rax || (long long)r->rax == restart_syscall_nr;
}

bool
Arch_blocked_again(const ArchRegs *r, long nr, uint64_t sp, uint64_t pc)
{
    static const long restart_syscall_nr = SYS_restart_syscall;
    if ((long long)r->orig_rax < 0 || sp != r->rsp || pc != r->rip)
        return false;
    return nr == (long)r->orig_rax ||
           (nr == restart_syscall_nr && (long long)r->rax == -ERESTART_RESTARTBLOCK);
}

bool
Arch_stopped_again(const ArchRegs *r, long nr, uint64_t sp, uint64_t pc)
{
    return nr == -1 && (long long)r->orig_rax < 0 && sp == r->rsp && pc == r->rip;
}

bool
Arch_dwarf_reg(const ArchRegs *r, int regno, uint64_t *value)
{
    /* DWARF numbering of the x86-64 psABI (also libunwind's UNW_X86_64_*). */
    /* clang-format off */
    switch (regno) {
    case 0: *value = r->rax; return true;
    case 1: *value = r->rdx; return true;
    case 2: *value = r->rcx; return true;
    case 3: *value = r->rbx; return true;
    case 4: *value = r->rsi; return true;
    case 5: *value = r->rdi; return true;
    case 6: *value = r->rbp; return true;
    case 7: *value = r->rsp; return true;
    case 8: *value = r->r8; return true;
    case 9: *value = r->r9; return true;
    case 10: *value = r->r10; return true;
    case 11: *value = r->r11; return true;
    case 12: *value = r->r12; return true;
    case 13: *value = r->r13; return true;
    case 14: *value = r->r14; return true;
    case 15: *value = r->r15; return true;
    case 16: *value = r->rip; return true;
    default: return false;
    }
    /* clang-format on */
}

bool
Arch_next_jump(const uint8_t *code, size_t len, uint64_t addr, size_t *pos, uint64_t *target)
{
    for (size_t i = *pos; i + 5 <= len; i++) {
        size_t insn_len;
        const uint8_t *rel;
        if (code[i] == 0xe9) { /* jmp rel32 */
            insn_len = 5;
            rel = code + i + 1;
        } else if (code[i] == 0x0f && i + 6 <= len && (code[i + 1] & 0xf0) == 0x80) {
            insn_len = 6; /* jcc rel32 */
            rel = code + i + 2;
        } else {
            continue;
        }
        int32_t disp;
        memcpy(&disp, rel, sizeof(disp));
        *target = addr + i + insn_len + (uint64_t)(int64_t)disp;
        *pos = i + 1;
        return true;
    }
    *pos = len;
    return false;
}
