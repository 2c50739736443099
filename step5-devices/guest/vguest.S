# Entry points and trap vector of the S-mode test guests (sbitest,
# hostile5). They use nothing of hvlab: the boot convention is QEMU virt's
# under OpenSBI (a0 = hart id, a1 = device tree), secondary harts come in
# through SBI HSM hart_start (a0 = hart id, a1 = the opaque value).
#
# tp holds the hart id for the C code; each hart has its own 16 KiB stack.

        .equ    MAXHART, 8
        .equ    STACK_SHIFT, 14

.section .text.entry
.globl _start
_start:
        li      t0, MAXHART
        bgeu    a0, t0, park            # a hart id we have no stack for
        mv      tp, a0
        # Only the first hart to come here boots the program. Another one
        # may come later: OpenSBI 1.1 has sent a hart that was late to boot
        # (a loaded host) here, with the device tree in a1, instead of to
        # hart_start's address. It must not clear .bss under the program.
        la      t0, entries
        li      t1, 1
        amoadd.w t1, t1, (t0)
        bnez    t1, late
        # Clear .bss (a raw image does not carry it); the stacks are in it,
        # and nothing uses them yet.
        la      t0, __bss_start
        la      t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    hart_setup
        call    boot_main               # boot_main(hartid, dtb): never returns
        j       park

late:   call    hart_setup
        call    late_main               # late_main(hartid, a1)
        j       park

# hart_start's entry: the hart comes in with the MMU off, interrupts off.
.globl _secondary
_secondary:
        li      t0, MAXHART
        bgeu    a0, t0, park
        mv      tp, a0
        call    hart_setup
        call    secondary_main          # secondary_main(hartid, opaque)
park:   wfi
        j       park

# The hart's stack (tp = hart id) and trap vector; a0/a1 are kept.
hart_setup:
        la      sp, stacks
        addi    t0, tp, 1
        slli    t0, t0, STACK_SHIFT
        add     sp, sp, t0
        la      t0, trap_vector
        csrw    stvec, t0
        ret

# Every trap (the program runs in S-mode only): save the registers in a
# frame on the current stack, call trap_handler(frame), which may change
# sepc, then return where sepc says.
.balign 4
.globl trap_vector
trap_vector:
        addi    sp, sp, -256
        sd      x1, 8(sp)
        sd      x3, 24(sp)
        sd      x4, 32(sp)
        sd      x5, 40(sp)
        sd      x6, 48(sp)
        sd      x7, 56(sp)
        sd      x8, 64(sp)
        sd      x9, 72(sp)
        sd      x10, 80(sp)
        sd      x11, 88(sp)
        sd      x12, 96(sp)
        sd      x13, 104(sp)
        sd      x14, 112(sp)
        sd      x15, 120(sp)
        sd      x16, 128(sp)
        sd      x17, 136(sp)
        sd      x18, 144(sp)
        sd      x19, 152(sp)
        sd      x20, 160(sp)
        sd      x21, 168(sp)
        sd      x22, 176(sp)
        sd      x23, 184(sp)
        sd      x24, 192(sp)
        sd      x25, 200(sp)
        sd      x26, 208(sp)
        sd      x27, 216(sp)
        sd      x28, 224(sp)
        sd      x29, 232(sp)
        sd      x30, 240(sp)
        sd      x31, 248(sp)
        addi    t0, sp, 256
        sd      t0, 16(sp)
        mv      a0, sp
        call    trap_handler
        ld      x1, 8(sp)
        ld      x3, 24(sp)
        ld      x4, 32(sp)
        ld      x5, 40(sp)
        ld      x6, 48(sp)
        ld      x7, 56(sp)
        ld      x8, 64(sp)
        ld      x9, 72(sp)
        ld      x10, 80(sp)
        ld      x11, 88(sp)
        ld      x12, 96(sp)
        ld      x13, 104(sp)
        ld      x14, 112(sp)
        ld      x15, 120(sp)
        ld      x16, 128(sp)
        ld      x17, 136(sp)
        ld      x18, 144(sp)
        ld      x19, 152(sp)
        ld      x20, 160(sp)
        ld      x21, 168(sp)
        ld      x22, 176(sp)
        ld      x23, 184(sp)
        ld      x24, 192(sp)
        ld      x25, 200(sp)
        ld      x26, 208(sp)
        ld      x27, 216(sp)
        ld      x28, 224(sp)
        ld      x29, 232(sp)
        ld      x30, 240(sp)
        ld      x31, 248(sp)
        addi    sp, sp, 256
        sret

.section .data
.balign 4
entries: .word  0                       # harts that came in at _start

.section .bss
.balign 16
.globl stacks
stacks: .space  MAXHART << STACK_SHIFT
