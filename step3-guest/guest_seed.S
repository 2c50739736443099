# Stage 3, guest (a): the seed guest -- the x86 tutorial's first guest,
# translated to RISC-V. No stack, no memory accesses, no interrupts: only
# hypercalls, each of which exits to the hypervisor and comes back.
#
#   a0 = 0; a1 = 2; a2 = 3; a3 = 3; a4 = 3;
#   for (;;) { hypercall(a0, a1, a2, a3, a4); a0 += 1; }
#
# x86 uses vmcall with the hypercall id in rax; here it is ecall, with the
# SBI convention's extension and function ids in a7 and a6 (sbi.h).

#include "sbi.h"

.cfi_sections .debug_frame      # for gdb: where a guest's backtrace ends

.section .text
.option push
.option norvc                   # all instructions 4 bytes: easy to step in gdb
.globl guest_seed
.type guest_seed, @function
guest_seed:
        .cfi_startproc
        .cfi_undefined ra       # a guest's first frame: nothing called it
        li      a7, SBI_EXT_HVLAB
        li      a6, HVLAB_SEED
        li      a0, 0
        li      a1, 2
        li      a2, 3
        li      a3, 3
        li      a4, 3
1:      ecall                   # exit; the hypervisor logs it and resumes us
        addi    a0, a0, 1
        j       1b
        .cfi_endproc
.size guest_seed, . - guest_seed
.option pop
