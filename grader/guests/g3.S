# The grader's stage 3 guest: run by the hypervisor with guest=image
# image=0x84000000, from an image QEMU loads there, never from the
# submission. Its parameters differ on every run: the grader has QEMU
# put a nonce at GUEST_PARAMS and a round count at GUEST_PARAMS + 8.
#
# Each round it fills every register with values made from the nonce and
# the round, then exits four ways: SBI BASE get_spec_version, a call to
# an extension that does not exist (a random id), ebreak and c.ebreak.
# The grader stops it at each of these instructions and reads the
# registers, single-steps into the trap and reads the trap CSRs, and
# stops it again where it must resume, checking the answer and that no
# other register changed. At the end the guest writes a checksum of the
# nonce and the rounds it made into g_result, and shuts down (SRST).

#include "hvlab/layout.h"
#include "hvlab/sbi_ids.h"

# x = nonce rotated by n and xor'ed with the round (s2): a different
# value in every register, in every round.
# (s0 is the scratch register.)
.macro FILL reg, n
        slli    \reg, s1, \n
        srli    s0, s1, 64 - \n
        or      \reg, \reg, s0
        xor     \reg, \reg, s2
.endm

.section .text.start
.globl g_start
.type g_start, @function
g_start:
        li      t0, GUEST_PARAMS
        ld      s1, 0(t0)       # the nonce
        ld      s3, 8(t0)       # rounds
        li      s2, 0           # this round
        li      s4, 0           # checksum
round:
        FILL    ra, 1
        FILL    gp, 3
        FILL    tp, 4
        FILL    t0, 5
        FILL    t1, 6
        FILL    t2, 7
        FILL    s5, 8
        FILL    s6, 9
        FILL    s7, 10
        FILL    s8, 11
        FILL    s9, 12
        FILL    s10, 13
        FILL    s11, 14
        FILL    t3, 15
        FILL    t4, 16
        FILL    t5, 17
        FILL    a2, 18
        FILL    a3, 19
        FILL    a4, 20
        FILL    a5, 21
        FILL    a0, 22
        FILL    a1, 23
        li      a7, SBI_EXT_BASE
        li      a6, SBI_BASE_GET_SPEC_VERSION
.globl g_ecall_base
g_ecall_base:
        ecall
        add     s4, s4, a1      # 1 << 24 each round
        FILL    a0, 24
        FILL    a1, 25
        # An extension id no one has: 0x0a000000 + 16 bits of the nonce.
        srli    a7, s1, 7
        slli    a7, a7, 48
        srli    a7, a7, 48
        li      s0, 0x0a000000
        or      a7, a7, s0
        FILL    a6, 26
        FILL    t6, 27
.globl g_ecall_none
g_ecall_none:
        ecall
        add     s4, s4, a0      # -2 each round
        FILL    a0, 28
        FILL    a1, 29
        FILL    a6, 30
        FILL    a7, 31
.globl g_ebreak
g_ebreak:
        .4byte  0x00100073      # ebreak, the 4-byte form (as would relax it)
.option push
.option rvc
.globl g_cebreak
g_cebreak:
        c.ebreak
.option pop
        addi    s2, s2, 1
        bltu    s2, s3, round

        # The result: the checksum, and the nonce plus the rounds made.
        la      t0, g_result
        sd      s4, 0(t0)
        add     t1, s1, s2
        sd      t1, 8(t0)
        li      a7, SBI_EXT_SRST
        li      a6, SBI_SRST_RESET
        li      a0, SBI_SRST_TYPE_SHUTDOWN
        li      a1, SBI_SRST_REASON_NONE
.globl g_ecall_reset
g_ecall_reset:
        ecall
1:      j       1b
.size g_start, . - g_start

.section .data
.balign 8
.globl g_result
g_result:
        .dword  0, 0
