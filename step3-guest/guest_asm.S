# Stage 3: small guests and guest helpers that must be written in assembly
# because they control every register or a single instruction.

#include "guest.h"
#include "sbi.h"

.cfi_sections .debug_frame      # for gdb: where a guest's backtrace ends

.section .text

# guest=fault: a guest that does what only HS-mode may do. Reading hgatp
# from VS-mode raises a virtual-instruction exception (cause 22), which
# stage 3 has no handler for: the hypervisor must stop it with a dump.
.globl guest_fault
.type guest_fault, @function
guest_fault:
        .cfi_startproc
        .cfi_undefined ra       # a guest's first frame: nothing called it
        csrr    a0, hgatp
        j       guest_fault
        .cfi_endproc
.size guest_fault, . - guest_fault

# guest=wfi: a guest that waits for an interrupt that will never come.
# hstatus.VTW (set by vcpu_init) turns its wfi into an exit, so the
# hypervisor sees it -- and, having no handler in stage 3, stops it with a
# dump rather than letting the machine sleep forever.
.globl guest_wfi
.type guest_wfi, @function
guest_wfi:
        .cfi_startproc
        .cfi_undefined ra       # a guest's first frame: nothing called it
        wfi
        j       guest_wfi
        .cfi_endproc
.size guest_wfi, . - guest_wfi

# void guest_regs_run(struct regtest *t, long mode)
#
# Loads every register from t->expect[1..30] (and t6 = t itself), exits
# once -- with ebreak (mode 0) or with ecall (mode 1, a hypercall whose
# a7/a6 come from expect[]) -- then stores all 31 registers to t->got[] so
# the C side can check that the hypervisor gave every one of them back.
# The registers C needs are parked in t->saved[] meanwhile.
#
# struct regtest { u64 expect[32]; u64 got[32]; u64 saved[16]; }
#define EXPECT 0
#define GOT (32 * 8)
#define SAVED (64 * 8)

.globl guest_regs_run
.type guest_regs_run, @function
guest_regs_run:
        sd      ra, SAVED+0(a0)
        sd      sp, SAVED+8(a0)
        sd      gp, SAVED+16(a0)
        sd      tp, SAVED+24(a0)
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11
        sd      s\n, SAVED+32+8*\n(a0)
        .endr
        mv      t6, a0
        mv      t5, a1
        .irp    n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
        ld      x\n, EXPECT+8*\n(t6)
        .endr
        bnez    t5, 1f
        ld      t5, EXPECT+8*30(t6)
        ebreak                  # assembled as c.ebreak; either exits alike
        j       2f
1:      ld      t5, EXPECT+8*30(t6)
        ecall
2:      .irp    n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        sd      x\n, GOT+8*\n(t6)
        .endr
        mv      a0, t6
        ld      ra, SAVED+0(a0)
        ld      sp, SAVED+8(a0)
        ld      gp, SAVED+16(a0)
        ld      tp, SAVED+24(a0)
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11
        ld      s\n, SAVED+32+8*\n(a0)
        .endr
        ret
.size guest_regs_run, . - guest_regs_run

# The C guests' stack, above its guard (kernel.ld keeps .stack.* apart
# from the hypervisor's data; guard.c fills and checks the guard).
.section .stack.guest, "aw", @nobits
.balign 16
.globl guest_stack_guard
guest_stack_guard:
        .space  GUEST_GUARD_SIZE
.globl guest_stack
guest_stack:
        .space  GUEST_STACK_SIZE
