# smp_pair: the smallest two-hart S-mode program for QEMU's virt machine,
# built independently of hvlab (like sbi_hello). Hart 0 starts hart 1
# through SBI HSM hart_start; hart 1 checks its a0/a1, makes ROUNDS SBI
# calls of its own (BASE get_spec_version), says so in memory and spins.
# Hart 0 then asks HSM for hart 1's state (STARTED) and shuts the machine
# down through SRST: reason 0, or 1 (system failure) if any answer was
# wrong. Under stage 5 every call is an exit of the vCPU that made it,
# which is what the monitor's test watches for (tests/test_monitor.c).
# Hart 1 spins without calls so that the number of exits never depends
# on timing: 1 + ROUNDS + 2 calls, then the IPI that stops hart 1.
#
# Numbers from the SBI specification v2.0: extension ids (chapters 4, 9
# and 10), and the HSM and SRST function ids.

.equ SBI_EXT_BASE, 0x10
.equ SBI_EXT_HSM, 0x48534d
.equ SBI_EXT_SRST, 0x53525354
.equ HSM_HART_START, 0
.equ HSM_HART_GET_STATUS, 2
.equ HSM_STARTED, 0
.equ OPAQUE, 0x5eed
.equ ROUNDS, 16

.section .text.entry
.globl _start
_start:                         # hart 0: a0 = 0, a1 = the device tree
        li      a0, 1           # hart_start(1, second, OPAQUE)
        la      a1, second
        li      a2, OPAQUE
        li      a6, HSM_HART_START
        li      a7, SBI_EXT_HSM
        ecall
        bnez    a0, fail
        la      t0, done
1:      lw      t1, 0(t0)       # until hart 1 is done
        beqz    t1, 1b
        li      t0, 1           # 1: its calls were all answered right
        bne     t1, t0, fail
        li      a0, 1           # hart_get_status(1): STARTED
        li      a6, HSM_HART_GET_STATUS
        li      a7, SBI_EXT_HSM
        ecall
        bnez    a0, fail
        li      t0, HSM_STARTED
        bne     a1, t0, fail
        li      a1, 0           # SRST reason: none
        j       reset
fail:   li      a1, 1           # SRST reason: system failure
reset:  li      a0, 0           # reset type 0: shutdown
        li      a6, 0
        li      a7, SBI_EXT_SRST
        ecall
2:      wfi
        j       2b

second:                         # hart 1: a0 = its id, a1 = the opaque value
        li      s1, 1           # what it will report: 1 good, 2 bad
        li      t0, 1
        bne     a0, t0, bad
        li      t0, OPAQUE
        bne     a1, t0, bad
        li      s0, ROUNDS
3:      li      a6, 0           # BASE get_spec_version: error 0 expected
        li      a7, SBI_EXT_BASE
        ecall
        bnez    a0, bad
        addi    s0, s0, -1
        bnez    s0, 3b
        j       report
bad:    li      s1, 2
report: la      t0, done
        fence   rw, w
        sw      s1, 0(t0)
4:      j       4b              # until the machine is shut down

.section .data
.balign 4
done:   .word   0
