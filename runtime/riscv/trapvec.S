# HS-mode trap vector: a trap taken while the *hypervisor itself* runs.
#
# Save every general register into a struct trapframe (trapframe.h) on the
# current stack, call hs_trap(tf) in C, restore, and sret back. hs_trap
# either fixes things up (a probe that was expected to trap) or dumps
# everything and powers off, so most traps never come back here.
#
# One thing is checked first: that sp points into the boot stack. A trap
# taken with a broken sp would fault again on the first store below, and
# again, forever, printing nothing. Then we switch to a small panic stack,
# and the dump shows the broken sp. sscratch is 0 whenever the hypervisor
# itself runs (see trap.c), so it can hold a register for a moment.

#include "cfi.h"
#include "stack.h"
#include "trapframe.h"

.cfi_sections .debug_frame      # for gdb (the image keeps no .eh_frame)
.section .text
.globl hs_trapvec
.type hs_trapvec, @function
.balign 4                       # stvec needs a 4-byte aligned address
hs_trapvec:
        .cfi_startproc
        # For gdb: the interrupted code's pc is in sepc, its sp in sp.
        .cfi_def_cfa sp, 0
        RA_IS_SEPC_PLUS_2
        csrw    sscratch, t0
        la      t0, boot_stack + TF_SIZE
        bltu    sp, t0, 1f
        la      t0, boot_stack_top
        bgtu    sp, t0, 1f
        csrrw   t0, sscratch, zero  # sp is fine: t0 back, sscratch 0 again
        j       2f
1:      csrrw   t0, sscratch, zero
        csrw    sscratch, sp        # remember the broken sp for the dump
        la      sp, panic_stack_top
2:      addi    sp, sp, -TF_SIZE
        .cfi_def_cfa_offset TF_SIZE  # (the broken-sp path: not quite)
        # x2 (sp) is saved below from its pre-trap value.
        sd      x1,  1*8(sp)
        sd      x3,  3*8(sp)
        sd      x4,  4*8(sp)
        sd      x5,  5*8(sp)
        sd      x6,  6*8(sp)
        sd      x7,  7*8(sp)
        sd      x8,  8*8(sp)
        sd      x9,  9*8(sp)
        sd      x10, 10*8(sp)
        sd      x11, 11*8(sp)
        sd      x12, 12*8(sp)
        sd      x13, 13*8(sp)
        sd      x14, 14*8(sp)
        sd      x15, 15*8(sp)
        sd      x16, 16*8(sp)
        sd      x17, 17*8(sp)
        sd      x18, 18*8(sp)
        sd      x19, 19*8(sp)
        sd      x20, 20*8(sp)
        sd      x21, 21*8(sp)
        sd      x22, 22*8(sp)
        sd      x23, 23*8(sp)
        sd      x24, 24*8(sp)
        sd      x25, 25*8(sp)
        sd      x26, 26*8(sp)
        sd      x27, 27*8(sp)
        sd      x28, 28*8(sp)
        sd      x29, 29*8(sp)
        sd      x30, 30*8(sp)
        sd      x31, 31*8(sp)
        addi    t0, sp, TF_SIZE
        sd      t0,  2*8(sp)        # the sp we had before the trap ...
        csrrw   t0, sscratch, zero
        beqz    t0, 3f
        sd      t0,  2*8(sp)        # ... or the broken one we replaced
3:
        csrr    t0, sepc
        sd      t0,  TF_SEPC(sp)

        mv      a0, sp
        call    hs_trap             # trap.c

        ld      t0, TF_SEPC(sp)     # hs_trap may have moved sepc on
        csrw    sepc, t0
        ld      x1,  1*8(sp)
        ld      x3,  3*8(sp)
        ld      x4,  4*8(sp)
        ld      x5,  5*8(sp)
        ld      x6,  6*8(sp)
        ld      x7,  7*8(sp)
        ld      x8,  8*8(sp)
        ld      x9,  9*8(sp)
        ld      x10, 10*8(sp)
        ld      x11, 11*8(sp)
        ld      x12, 12*8(sp)
        ld      x13, 13*8(sp)
        ld      x14, 14*8(sp)
        ld      x15, 15*8(sp)
        ld      x16, 16*8(sp)
        ld      x17, 17*8(sp)
        ld      x18, 18*8(sp)
        ld      x19, 19*8(sp)
        ld      x20, 20*8(sp)
        ld      x21, 21*8(sp)
        ld      x22, 22*8(sp)
        ld      x23, 23*8(sp)
        ld      x24, 24*8(sp)
        ld      x25, 25*8(sp)
        ld      x26, 26*8(sp)
        ld      x27, 27*8(sp)
        ld      x28, 28*8(sp)
        ld      x29, 29*8(sp)
        ld      x30, 30*8(sp)
        ld      x31, 31*8(sp)
        addi    sp, sp, TF_SIZE
        .cfi_def_cfa_offset 0
        sret
        .cfi_endproc
.size hs_trapvec, . - hs_trapvec

.section .stack.panic, "aw", @nobits   # kernel.ld: in .stacks
.balign 16
.globl panic_stack_guard
panic_stack_guard:              # stack.h: checked by guard.c
        .space  PANIC_GUARD_SIZE
        .space  PANIC_STACK_SIZE
panic_stack_top:                # for hs_trap when sp was broken
