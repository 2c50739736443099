# ticks: an S-mode program for QEMU's virt machine that takes TICKS timer
# interrupts, 1 ms apart, as a kernel's periodic tick does -- each tick's
# handler programs the next -- and waits for them with wfi. It programs
# the timer with its own stimecmp (Sstc) if writing that CSR works, and
# with SBI set_timer if it raises an illegal-instruction trap (a hart
# without Sstc). Then it shuts down through SRST. It prints nothing, so
# that under stage 5 the exit trace counts only the ticks: labs/step5-
# devices.md compares the exits per tick with and without Sstc.

.equ TICKS, 100
.equ PERIOD, 10000              # timebase ticks: 1 ms at virt's 10 MHz
.equ CSR_STIMECMP, 0x14d
.equ SIE_STIE, 1 << 5
.equ SSTATUS_SIE, 1 << 1
.equ SCAUSE_ILLEGAL, 2
.equ SBI_EXT_TIME, 0x54494d45
.equ SBI_EXT_SRST, 0x53525354

.section .text.entry
.globl _start
_start:
        la      t0, trap
        csrw    stvec, t0
        li      s0, 0           # 1: no Sstc, the timer goes through SBI
        li      s1, 0           # ticks so far
        call    next_tick
        li      t0, SIE_STIE
        csrs    sie, t0
        csrsi   sstatus, SSTATUS_SIE
1:      wfi                     # until the next tick
        li      t0, TICKS
        blt     s1, t0, 1b
        csrci   sstatus, SSTATUS_SIE
        li      a0, 0           # SRST shutdown, no reason
        li      a1, 0
        li      a6, 0
        li      a7, SBI_EXT_SRST
        ecall
2:      wfi
        j       2b

# Program the timer PERIOD from now. Clobbers a0, a6, a7, t0.
next_tick:
        rdtime  a0
        li      t0, PERIOD
        add     a0, a0, t0
        bnez    s0, 3f
        csrw    CSR_STIMECMP, a0  # traps on a hart without Sstc (see trap)
        bnez    s0, 3f            # ... it did: the trap set s0
        ret
3:      li      a6, 0             # SBI TIME set_timer(a0)
        li      a7, SBI_EXT_TIME
        ecall
        ret

# The trap vector (direct mode): a timer tick, or the illegal-instruction
# trap of the first stimecmp write on a hart without Sstc. Only s0, s1 and
# the registers next_tick clobbers change, and the main loop keeps nothing
# in those.
.balign 4
trap:
        csrr    t0, scause
        li      t1, SCAUSE_ILLEGAL
        beq     t0, t1, no_sstc
        addi    s1, s1, 1       # a tick (the only interrupt we enable)
        mv      s2, ra
        call    next_tick       # also clears the pending timer interrupt
        mv      ra, s2
        sret
no_sstc:
        li      s0, 1
        csrr    t0, sepc        # step over the csrw (4 bytes: not compressed)
        addi    t0, t0, 4
        csrw    sepc, t0
        sret
