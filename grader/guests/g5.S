# The grader's stage 5 guest: a small S-mode kernel for two harts, run by
# the hypervisor from a guest package the grader writes for each run
# (grader/guestpkg.c), never from the submission. Its parameters differ
# on every run: the package puts a nonce at GUEST_PARAMS, and at
# GUEST_PARAMS + 16 the SRST reason to end with (0 none, 1 failure).
#
# Hart 0 (entered as by firmware: a0 = 0, a1 = the device tree):
#   1. HSM: starts hart 1 at g_secondary with an opaque value made from
#      the nonce; starts it again (SBI_ERR_ALREADY_AVAILABLE) and starts
#      a hart that does not exist (SBI_ERR_INVALID_PARAM);
#   2. IPIs: once hart 1 is up, sends it an IPI, then waits for one from
#      it (VS software interrupts, at g_vec_h1 and g_vec_ipi);
#   3. the timer through SBI set_timer (g_vec_timer), then through its own
#      stimecmp (Sstc; g_vec_sstc -- without Sstc that csrw is an illegal
#      instruction, and the same vector records scause 2);
#   4. a load from a virtio slot where no device is (0x10008000): a load
#      access fault, taken by its own handler (g_vec_fault);
#   5. an illegal instruction, taken by its own handler (g_vec_ill);
#   6. stores a byte made from the nonce into the UART's scratch register
#      and loads it back, sign- and zero-extended, and the line status;
#   7. turns on the UART's THR-empty interrupt (PLIC source 10, for its
#      S context, 1) and takes it at g_vec_ext: claims it (10), claims
#      again (0: in service), completes it with the line still high
#      (pending again: 10), lowers the line and completes it (0);
#   8. waits for hart 1 to be STOPPED (it calls hart_stop), then stops at
#      g_done with everything recorded in g_result, and shuts down (SRST).
# The grader stops it at these labels (gdb), reads the trap CSRs there
# and g_result at g_done, and computes what each must be from the nonce
# and the symbols' addresses.
#
# Each phase has its own trap vector, so a breakpoint on a vector means
# one event. Handlers use only t3-t6 and a0/a1/a6/a7 (the SBI calls): the
# wait loops use t0 and re-read their flag after every wfi.

#include "hvlab/layout.h"
#include "hvlab/sbi_ids.h"

# Slots of g_result (byte offsets).
#define R_START 0       /* hart_start(1): a0 */
#define R_START2 8      /* hart_start(1) again: a0 */
#define R_START_BAD 16  /* hart_start(9): a0 */
#define R_STATUS 24     /* hart_get_status(1) while it runs: a1 */
#define R_H1_A0 32      /* a0 at hart 1's first instruction */
#define R_H1_A1 40      /* a1 there */
#define R_H1_CAUSE 48   /* scause of hart 1's IPI */
#define R_H0_CAUSE 56   /* scause of hart 0's IPI */
#define R_IPI_SEND 64   /* send_ipi to hart 1: a0 */
#define R_H1_SEND 72    /* hart 1's send_ipi to hart 0: a0 */
#define R_TIMER 80      /* scause at g_vec_timer */
#define R_LATE 88       /* time at the timer interrupt minus the deadline */
#define R_SSTC 96       /* scause at g_vec_sstc */
#define R_FAULT 104     /* scause, stval, sepc at g_vec_fault */
#define R_FAULT_TVAL 112
#define R_FAULT_EPC 120
#define R_ILL 128       /* scause, sepc at g_vec_ill */
#define R_ILL_EPC 136
#define R_STOPPED 144   /* hart_get_status(1) at the end: a1 */
#define R_NONCE 152     /* the nonce, as hart 0 read it */
#define F_H1_UP 160     /* flags */
#define F_H1_IPI 168
#define F_H0_IPI 176
#define F_TIMER 184
#define F_SSTC 192
#define R_UART 200      /* scause of a fault in the UART phase, or 0 */
#define R_EXT 208       /* scause at g_vec_ext */
#define R_CLAIM1 216    /* the four claims there */
#define R_CLAIM2 224
#define R_CLAIM3 232
#define R_CLAIM4 240
#define F_EXT 248       /* flag */

#define SIP_SSIP 2
#define SIE_STIE 0x20
#define SIE_SEIE 0x200
#define SSTATUS_SIE 2
#define SSTATUS_SPIE 0x20
#define TICKS 20000     /* 2 ms at virt's 10 MHz */
#define NO_DEVICE 0x10008000  /* virt's last virtio slot: no device there */
#define UART 0x10000000       /* virt's 16550A */
#define UART_IRQ 10
#define PLIC 0x0c000000               /* virt's PLIC; context 1: hart 0, S */
#define PLIC_PRIORITY10 (PLIC + 4 * UART_IRQ)
#define PLIC_ENABLE1 (PLIC + 0x2080)
#define PLIC_THRESHOLD1 (PLIC + 0x201000)
#define PLIC_CLAIM1 (PLIC + 0x201004)
#define OPAQUE_KEY 0x5ca1ab1e0ddba11

.option norvc

.section .text.start
.globl g_start
.type g_start, @function
g_start:
        la      s0, g_result
        li      t0, GUEST_PARAMS
        ld      s1, 0(t0)               # the nonce
        ld      s3, 16(t0)              # the SRST reason
        sd      s1, R_NONCE(s0)
        li      t0, OPAQUE_KEY
        xor     s2, s1, t0              # hart 1's opaque value

        # 1. HSM
        li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_START
        li      a0, 1
        la      a1, g_secondary
        mv      a2, s2
        ecall
        sd      a0, R_START(s0)
        li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_START
        li      a0, 1
        la      a1, g_secondary
        mv      a2, s2
        ecall
        sd      a0, R_START2(s0)
        li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_START
        li      a0, 9
        la      a1, g_secondary
        mv      a2, s2
        ecall
        sd      a0, R_START_BAD(s0)
1:      ld      t0, F_H1_UP(s0)
        beqz    t0, 1b
        fence
        li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_GET_STATUS
        li      a0, 1
        ecall
        sd      a1, R_STATUS(s0)

        # 2. IPIs: one to hart 1, then one from it.
        la      t0, g_vec_ipi
        csrw    stvec, t0
        li      a7, SBI_EXT_IPI
        li      a6, SBI_IPI_SEND_IPI
        li      a0, 2                   # hart 1
        li      a1, 0
        ecall
        sd      a0, R_IPI_SEND(s0)
        csrs    sie, SIP_SSIP
        csrs    sstatus, SSTATUS_SIE
2:      ld      t0, F_H0_IPI(s0)
        bnez    t0, 3f
        wfi
        j       2b
3:      csrc    sie, SIP_SSIP

        # 3. The timer: SBI set_timer, then stimecmp.
        la      t0, g_vec_timer
        csrw    stvec, t0
        rdtime  t0
        li      t1, TICKS
        add     s4, t0, t1              # the deadline
        li      a7, SBI_EXT_TIME
        li      a6, SBI_TIME_SET_TIMER
        mv      a0, s4
        ecall
        li      t0, SIE_STIE
        csrs    sie, t0
        csrs    sstatus, SSTATUS_SIE
4:      ld      t0, F_TIMER(s0)
        bnez    t0, 5f
        wfi
        j       4b
5:      la      t0, g_vec_sstc
        csrw    stvec, t0
        rdtime  t0
        li      t1, TICKS
        add     t1, t0, t1
.globl g_stimecmp
g_stimecmp:
        csrw    0x14d, t1               # stimecmp
        csrs    sstatus, SSTATUS_SIE
6:      ld      t0, F_SSTC(s0)
        bnez    t0, 7f
        wfi
        j       6b
7:      li      t0, SIE_STIE
        csrc    sie, t0

        # 4. A load where no device is.
        la      t0, g_vec_fault
        csrw    stvec, t0
        li      t1, NO_DEVICE
.globl g_mmio
g_mmio:
        lw      t2, 0(t1)

        # 5. An illegal instruction.
        la      t0, g_vec_ill
        csrw    stvec, t0
.globl g_illegal
g_illegal:
        .4byte  0xffffffff

        # 6. The UART's scratch register (SCR, offset 7) through the
        # hypervisor's device emulation: a byte made from the nonce with
        # its top bit set, stored, then loaded sign- and zero-extended
        # into registers of their own; and the line status (LSR).
        la      t0, g_vec_uart
        csrw    stvec, t0
        li      t1, UART
        andi    s5, s1, 0x7f
        ori     s5, s5, 0x80
        sb      s5, 7(t1)
        lb      s6, 7(t1)
        lbu     s7, 7(t1)
        lbu     s8, 5(t1)
.globl g_uart_done
g_uart_done:

        # 7. The UART's interrupt through the PLIC: priority 1, enabled
        # for context 1, threshold 0; then IER's THR-empty bit raises its
        # interrupt line, high until IER drops it (IIR is never read).
        la      t0, g_vec_ext
        csrw    stvec, t0
        li      t1, PLIC_PRIORITY10
        li      t2, 1
        sw      t2, 0(t1)
        li      t1, PLIC_ENABLE1
        li      t2, 1 << UART_IRQ
        sw      t2, 0(t1)
        li      t1, PLIC_THRESHOLD1
        sw      zero, 0(t1)
        li      t1, UART
        li      t2, 2
        sb      t2, 1(t1)               # IER: THR empty
        li      t0, SIE_SEIE
        csrs    sie, t0
        csrs    sstatus, SSTATUS_SIE
10:     ld      t0, F_EXT(s0)
        bnez    t0, 11f
        wfi
        j       10b
11:     li      t0, SIE_SEIE
        csrc    sie, t0

        # 8. Hart 1 stops itself; then the results, and the end.
8:      li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_GET_STATUS
        li      a0, 1
        ecall
        li      t0, SBI_HSM_STATE_STOPPED
        bne     a1, t0, 8b
        sd      a1, R_STOPPED(s0)
        fence
.globl g_done
g_done:
        li      a7, SBI_EXT_SRST
        li      a6, SBI_SRST_RESET
        li      a0, SBI_SRST_TYPE_SHUTDOWN
        mv      a1, s3
.globl g_srst
g_srst:
        ecall
9:      j       9b

# Hart 1: a0 = its hart id, a1 = the opaque value.
.globl g_secondary
g_secondary:
        la      s0, g_result
        sd      a0, R_H1_A0(s0)
        sd      a1, R_H1_A1(s0)
        la      t0, g_vec_h1
        csrw    stvec, t0
        csrs    sie, SIP_SSIP
        fence
        li      t0, 1
        sd      t0, F_H1_UP(s0)
        csrs    sstatus, SSTATUS_SIE
1:      ld      t0, F_H1_IPI(s0)
        bnez    t0, 2f
        wfi
        j       1b
2:      csrc    sie, SIP_SSIP
        li      a7, SBI_EXT_IPI
        li      a6, SBI_IPI_SEND_IPI
        li      a0, 1                   # hart 0
        li      a1, 0
        ecall
        sd      a0, R_H1_SEND(s0)
        fence
        li      a7, SBI_EXT_HSM
        li      a6, SBI_HSM_HART_STOP
        ecall
3:      j       3b                      # hart_stop does not return

# ---- Trap vectors: one per event -------------------------------------------
# Return with interrupts off (SPIE = 0): each wait ends after one event.
.macro RETURN_QUIET
        li      t3, SSTATUS_SPIE
        csrc    sstatus, t3
        sret
.endm

.balign 4
.globl g_vec_h1
g_vec_h1:                               # hart 1: the IPI from hart 0
        csrr    t3, scause
        sd      t3, R_H1_CAUSE(s0)
        csrci   sip, SIP_SSIP
        li      t3, 1
        sd      t3, F_H1_IPI(s0)
        RETURN_QUIET

.balign 4
.globl g_vec_ipi
g_vec_ipi:                              # hart 0: the IPI from hart 1
        csrr    t3, scause
        sd      t3, R_H0_CAUSE(s0)
        csrci   sip, SIP_SSIP
        li      t3, 1
        sd      t3, F_H0_IPI(s0)
        RETURN_QUIET

.balign 4
.globl g_vec_timer
g_vec_timer:                            # SBI set_timer's interrupt
        csrr    t3, scause
        sd      t3, R_TIMER(s0)
        rdtime  t3
        sub     t3, t3, s4
        sd      t3, R_LATE(s0)
        li      a7, SBI_EXT_TIME        # no next tick: clears it
        li      a6, SBI_TIME_SET_TIMER
        li      a0, -1
        ecall
        li      t3, 1
        sd      t3, F_TIMER(s0)
        RETURN_QUIET

.balign 4
.globl g_vec_sstc
g_vec_sstc:                             # stimecmp's interrupt (or no Sstc)
        csrr    t3, scause
        sd      t3, R_SSTC(s0)
        bltz    t3, 1f
        csrr    t4, sepc                # no Sstc: skip the csrw
        addi    t4, t4, 4
        csrw    sepc, t4
        j       2f
1:      li      t4, -1
        csrw    0x14d, t4               # stimecmp: no next tick
2:      li      t3, 1
        sd      t3, F_SSTC(s0)
        RETURN_QUIET

.balign 4
.globl g_vec_fault
g_vec_fault:                            # the load where no device is
        csrr    t3, scause
        sd      t3, R_FAULT(s0)
        csrr    t3, stval
        sd      t3, R_FAULT_TVAL(s0)
        csrr    t3, sepc
        sd      t3, R_FAULT_EPC(s0)
        addi    t3, t3, 4
        csrw    sepc, t3
        sret

.balign 4
.globl g_vec_ill
g_vec_ill:                              # the illegal instruction
        csrr    t3, scause
        sd      t3, R_ILL(s0)
        csrr    t3, sepc
        sd      t3, R_ILL_EPC(s0)
        addi    t3, t3, 4
        csrw    sepc, t3
        sret
.balign 4
.globl g_vec_uart
g_vec_uart:                             # a UART access that failed
        csrr    t3, scause
        sd      t3, R_UART(s0)
        csrr    t3, sepc
        addi    t3, t3, 4
        csrw    sepc, t3
        sret
.balign 4
.globl g_vec_ext
g_vec_ext:                              # the UART's interrupt, by the PLIC
        csrr    t3, scause
        sd      t3, R_EXT(s0)
        li      t4, PLIC_CLAIM1
        li      t6, UART_IRQ
        lw      t5, 0(t4)               # claim: 10
        sd      t5, R_CLAIM1(s0)
        lw      t5, 0(t4)               # again: 0, it is in service
        sd      t5, R_CLAIM2(s0)
        sw      t6, 0(t4)               # complete: the line is still high
        lw      t5, 0(t4)               # so it is pending again: 10
        sd      t5, R_CLAIM3(s0)
        li      t3, UART
        sb      zero, 1(t3)             # IER = 0: the line drops
        sw      t6, 0(t4)               # complete
        lw      t5, 0(t4)               # nothing pending: 0
        sd      t5, R_CLAIM4(s0)
        li      t3, 1
        sd      t3, F_EXT(s0)
        RETURN_QUIET
.size g_start, . - g_start

.section .data
.balign 8
.globl g_result
g_result:
        .fill   32, 8, 0
.globl g_result_end
g_result_end:
