# Entry of vblk_guest (vblk_guest.c), an S-mode program for QEMU's virt
# machine built apart from hvlab: firmware (OpenSBI natively, or stage 5)
# enters it at 0x80200000 with a0 = hart id and a1 = the device tree.

.section .text.entry
.globl _start
_start:
        la      sp, stack_top
        call    main            # main(hartid, dtb)
1:      j       1b

# Where SBI HSM hart_start starts the other harts (harts=N): a0 = hart id.
.globl secondary_entry
secondary_entry:
        la      sp, stacks
        andi    t0, a0, 7
        addi    t0, t0, 1
        slli    t0, t0, 12      # 4 KiB each, by hart id
        add     sp, sp, t0
        call    secondary       # secondary(hartid)
1:      j       1b

.section .bss
.balign 16
        .space  8192
stack_top:
stacks:
        .space  8 * 4096
