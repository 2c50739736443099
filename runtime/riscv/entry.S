# The first instructions of the hypervisor.
#
# OpenSBI (QEMU's -bios default) jumps here in HS-mode with
#   a0 = this hart's id, a1 = physical address of the device tree blob.
# Nothing is set up yet: no stack, .bss not cleared, no trap vector.
# We do the minimum in assembly and hand over to C (boot.c).

#include "stack.h"

.cfi_sections .debug_frame      # for gdb (the image keeps no .eh_frame)
.section .text.entry
.globl _start
.type _start, @function
_start:
        .cfi_startproc
        .cfi_undefined ra       # the first frame: a backtrace ends here
        # OpenSBI enters here on one hart only, the boot hart, whichever
        # hart won its boot lottery (with -smp n not always hart 0). The
        # others wait in OpenSBI until stage 5 starts them (SBI HSM).
        la      sp, boot_stack_top

        # Clear .bss (C expects zero-initialised globals). Keep a0/a1.
        la      t0, __bss_start
        la      t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:
        call    boot            # boot(hartid, dtb) in boot.c; never returns
        .cfi_endproc
.size _start, . - _start

.section .stack.boot, "aw", @nobits    # kernel.ld: in .stacks
.balign 16
.globl boot_stack_guard
boot_stack_guard:               # stack.h: checked by guard.c
        .space  BOOT_GUARD_SIZE
.globl boot_stack
boot_stack:
        .space  BOOT_STACK_SIZE
.globl boot_stack_top
boot_stack_top:
