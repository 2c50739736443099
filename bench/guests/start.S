# The bench guests' entry: firmware (OpenSBI natively, or stage 5) enters
# an S-mode kernel at 0x80200000 with a0 = hart id and a1 = the device
# tree. A stack, then main(hartid, dtb) in the guest's C file.

.section .text.entry
.globl _start
_start:
        la      sp, stack_top
        call    main
1:      wfi
        j       1b

.section .bss
.balign 16
        .space  8192
stack_top:
