# The first instructions of the hypervisor.
#
# OpenSBI (QEMU's -bios default) jumps here in HS-mode with
#   a0 = this hart's id, a1 = physical address of the device tree blob.
# Nothing is set up yet: no stack, .bss not cleared, no trap vector.
# We do the minimum in assembly and hand over to C (boot.c).

#include "hvlab/sbi_ids.h"
#include "stack.h"

.cfi_sections .debug_frame      # for gdb (the image keeps no .eh_frame)
.section .text.entry
.globl _start
.type _start, @function
_start:
        .cfi_startproc
        .cfi_undefined ra       # the first frame: a backtrace ends here
        # OpenSBI enters here on the boot hart, whichever hart won its
        # boot lottery (with -smp n not always hart 0); the others wait in
        # OpenSBI until stage 5 starts them (SBI HSM). But OpenSBI 1.1
        # sometimes sends a late hart here too: only the first hart to
        # arrive boots, and any other gives itself back to OpenSBI (HSM
        # hart_stop), from which stage 5 can start it where it wants.
        la      t0, boot_lottery
        li      t1, 1
        amoswap.w t1, t1, (t0)
        bnez    t1, late_hart
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
late_hart:
        li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_STOP   # does not return
        ecall
1:      wfi
        j       1b
        .cfi_endproc
.size _start, . - _start

# In .data, which boot does not clear (a late hart may come after it
# cleared .bss): 0 until the first hart takes it.
.section .data
.balign 4
boot_lottery:
        .word   0

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
