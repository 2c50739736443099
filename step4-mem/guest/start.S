# Stage 4's built-in guest: its first instructions. It is entered like a
# kernel: a0 = hart id, a1 = device tree (or 0), and -- hvlab's own
# convention for this test guest -- a2 = which test (guest4.h), a3, a4 =
# the addresses that test needs.

.cfi_sections .debug_frame
.section .text.entry
.globl _start
.type _start, @function
_start:
        .cfi_startproc
        .cfi_undefined ra
        la      sp, stack_top
        # Clear .bss: the image is copied in again before every test, but
        # the previous test's variables and page tables are still there.
        la      t0, __bss_start
        la      t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    guest4_main     # (a0..a4 as we got them)
3:      j       3b
        .cfi_endproc
.size _start, . - _start

.section .bss
.balign 16
        .space  16384
stack_top:
