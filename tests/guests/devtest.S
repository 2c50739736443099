# devtest: an S-mode program for QEMU's virt machine that tests its devices
# (16550A UART, PLIC, sifive_test) from inside, knowing nothing of hvlab.
# Firmware (OpenSBI natively, or stage 5) enters _start with a0 = hart id
# and a1 = the device tree; harts started later with SBI HSM enter
# secondary with a0 = hart id.

#define NHARTS 8          /* hart ids 0..7 get a stack; others park */
#define STACK 8192

.section .text.entry
.globl _start
_start:
        call    set_stack
        call    main            # main(hartid, dtb) in devtest.c
1:      wfi
        j       1b

.globl secondary
secondary:
        call    set_stack
        call    secondary_main  # secondary_main(hartid) in devtest.c
1:      wfi
        j       1b

.globl restarted_entry
restarted_entry:
        call    set_stack
        call    restarted_main  # restarted_main(hartid) in devtest.c
1:      wfi
        j       1b

# sp = the top of hart a0's stack (a hart id we have no stack for parks).
set_stack:
        li      t0, NHARTS
        bgeu    a0, t0, 2f
        la      sp, stacks
        addi    t0, a0, 1
        li      t1, STACK
        mul     t0, t0, t1
        add     sp, sp, t0
        ret
2:      wfi
        j       2b

# The trap vector: every register saved on the stack, devtest.c's
# trap(regs) decides, and sepc moves to what it returns.
.balign 4
.globl trap_vector
trap_vector:
        addi    sp, sp, -256
        .irp    n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        sd      x\n, \n*8(sp)
        .endr
        mv      a0, sp
        call    trap
        csrw    sepc, a0
        .irp    n,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        ld      x\n, \n*8(sp)
        .endr
        addi    sp, sp, 256
        sret

.section .bss
.balign 16
stacks:
        .space  NHARTS * STACK
