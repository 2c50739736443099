# A tiny S-mode program for QEMU's virt machine, built independently of
# hvlab's hypervisor: firmware (OpenSBI natively, or stage 4) enters it
# at 0x80200000 with a0 = hart id and a1 = the device tree.

.section .text.entry
.globl _start
_start:
        la      sp, stack_top
        call    main            # main(hartid, dtb) in sbi_hello.c
1:      j       1b

.section .bss
.balign 16
        .space  8192
stack_top:
