# Stage 3: the world switch -- entering a guest and coming back.
#
# vcpu_enter(v) is called by vcpu_run (run.c). It saves the hypervisor's
# ra and sp in v, loads all of the guest's registers, and sret's into the
# guest. It does not return there. Instead, when the guest traps to HS-mode
# (an "exit"), the CPU jumps to hv_vector, which saves the guest's
# registers into v, reloads ra and sp, and executes `ret` -- so to the C
# caller, vcpu_enter simply returned, with the exit's cause in a1 and the
# guest pc in a2.
#
# What about the hypervisor's other registers, which the guest overwrites?
# A normal function would save the callee-saved ones (s0-s11) itself, every
# time. vcpu_run instead calls us from an asm statement that tells the
# compiler "every register but sp and s0 is clobbered", so the compiler
# saves just the few values it still needs afterwards -- usually only the
# vcpu pointer. That is 22 fewer loads and stores on every exit. (s0 is the
# frame pointer, which gdb follows in backtraces; we keep it with ra, sp.)
#
# The .cfi_ lines tell gdb how to unwind through this code, so that `bt`
# means something here: in vcpu_enter, before the guest's registers are
# loaded, the caller is vcpu_run; from hv_vector on, the "caller" is the
# guest instruction that trapped (its pc is in sepc, DWARF register
# 4096 + 0x141), until the hypervisor's ra and sp are back.
#
# Which CSRs are *not* touched here, and why:
#  - hstatus.SPV and sstatus.SPP: a trap records in them where the guest
#    was (V=1, and VS or VU mode), so when we enter again they still say
#    "sret returns to where the guest was" (run.c sets them once, before
#    the first entry).
#  - stvec: set once (run.c) to hv_vector, which serves both guest exits and
#    the hypervisor's own traps. sscratch tells them apart: it holds the
#    vcpu pointer while a guest runs, and 0 while the hypervisor runs.
#  - stval, htval, htinst: read in C, only for exits that use them.

#include "asm-offsets.h"
#include "cfi.h"

#define X(n) (VCPU_X + 8 * (n))

.cfi_sections .debug_frame      # where gdb looks (the image keeps no .eh_frame)

.section .text
.globl vcpu_enter
.type vcpu_enter, @function
vcpu_enter:                     # a0 = struct vcpu *v
        .cfi_startproc
        # Host state: where to return, our stack and frame. (gp and tp are
        # not used by the hypervisor, so the guest may keep its own there.)
        sd      ra, VCPU_HOST_RA(a0)
        sd      sp, VCPU_HOST_SP(a0)
        sd      s0, VCPU_HOST_FP(a0)

        ld      t0, VCPU_PC(a0)
        csrw    sepc, t0        # sret jumps here
        csrw    sscratch, a0    # hv_vector finds the vcpu here

        # Guest state: every register but x0, a0 (our pointer) last.
        # From here on the registers are the guest's: no caller to show.
        .cfi_undefined ra
        ld      x1, X(1)(a0)
        ld      x2, X(2)(a0)
        ld      x3, X(3)(a0)
        ld      x4, X(4)(a0)
        ld      x5, X(5)(a0)
        ld      x6, X(6)(a0)
        ld      x7, X(7)(a0)
        ld      x8, X(8)(a0)
        ld      x9, X(9)(a0)
        ld      x11, X(11)(a0)
        ld      x12, X(12)(a0)
        ld      x13, X(13)(a0)
        ld      x14, X(14)(a0)
        ld      x15, X(15)(a0)
        ld      x16, X(16)(a0)
        ld      x17, X(17)(a0)
        ld      x18, X(18)(a0)
        ld      x19, X(19)(a0)
        ld      x20, X(20)(a0)
        ld      x21, X(21)(a0)
        ld      x22, X(22)(a0)
        ld      x23, X(23)(a0)
        ld      x24, X(24)(a0)
        ld      x25, X(25)(a0)
        ld      x26, X(26)(a0)
        ld      x27, X(27)(a0)
        ld      x28, X(28)(a0)
        ld      x29, X(29)(a0)
        ld      x30, X(30)(a0)
        ld      x31, X(31)(a0)
        ld      a0, X(10)(a0)
        sret                    # hstatus.SPV=1: into the guest, V=1
        .cfi_endproc
.size vcpu_enter, . - vcpu_enter

# Every trap to HS-mode lands here once a guest has been set up.
.balign 4                       # stvec needs a 4-byte aligned address
.globl hv_vector
.type hv_vector, @function
hv_vector:
        .cfi_startproc
        # For gdb: the interrupted code's sp is still sp, and its pc is in
        # sepc (runtime/riscv/cfi.h says why "+ 2").
        .cfi_def_cfa sp, 0
        RA_IS_SEPC_PLUS_2
        # Swap a0 with sscratch: a0 = the vcpu (0 if the hypervisor itself
        # trapped), sscratch = the guest's a0 for the moment.
        csrrw   a0, sscratch, a0
        beqz    a0, hv_self_trap
.size hv_vector, . - hv_vector

# A guest exit: what follows is the world switch back (and what `break
# guest_exit` stops at), so it has a symbol of its own.
.globl guest_exit
.type guest_exit, @function
guest_exit:
# BEGIN TASK lab3.2
        sd      x1, X(1)(a0)
        sd      x2, X(2)(a0)
        sd      x3, X(3)(a0)
        sd      x4, X(4)(a0)
        sd      x5, X(5)(a0)
        sd      x6, X(6)(a0)
        sd      x7, X(7)(a0)
        sd      x8, X(8)(a0)
        sd      x9, X(9)(a0)
        sd      x11, X(11)(a0)
        sd      x12, X(12)(a0)
        sd      x13, X(13)(a0)
        sd      x14, X(14)(a0)
        sd      x15, X(15)(a0)
        sd      x16, X(16)(a0)
        sd      x17, X(17)(a0)
        sd      x18, X(18)(a0)
        sd      x19, X(19)(a0)
        sd      x20, X(20)(a0)
        sd      x21, X(21)(a0)
        sd      x22, X(22)(a0)
        sd      x23, X(23)(a0)
        sd      x24, X(24)(a0)
        sd      x25, X(25)(a0)
        sd      x26, X(26)(a0)
        sd      x27, X(27)(a0)
        sd      x28, X(28)(a0)
        sd      x29, X(29)(a0)
        sd      x30, X(30)(a0)
        sd      x31, X(31)(a0)
        csrrw   t0, sscratch, zero  # the guest's a0; sscratch = 0: we run
        sd      t0, X(10)(a0)
# STUB:         ld      sp, VCPU_HOST_SP(a0)    # the hypervisor's stack
# STUB:         @TODO@
# END TASK

        # The two facts every exit needs, handed to vcpu_run in registers:
        # why (a1 = scause) and where (a2 = sepc, the guest's pc).
        csrr    a1, scause
        csrr    a2, sepc

        # Back into the hypervisor, as if vcpu_enter returned.
        ld      ra, VCPU_HOST_RA(a0)
        ld      s0, VCPU_HOST_FP(a0)
        ld      sp, VCPU_HOST_SP(a0)
        .cfi_same_value ra          # from here the caller is vcpu_run again
        ret

hv_self_trap:                   # the hypervisor itself trapped
        RA_IS_SEPC_PLUS_2
        csrrw   a0, sscratch, a0    # put a0 back; sscratch is 0 again
        j       hs_trapvec          # runtime/riscv/trapvec.S
        .cfi_endproc
.size guest_exit, . - guest_exit
