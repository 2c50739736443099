# Stage 3: hostile guests written in assembly, because each is one
# instruction or one store that C would not write. The table that names
# them, and the ones written in C, are in guest_hostile.c; what stage 3
# does about each is in labs/step3-guest.md and tests/test_hostile.c.
#
# A guest whose instruction does not trap ends with a clean SRST shutdown,
# so that what the hypervisor notices (or not) afterwards is the result.

#include "memlayout.h"
#include "sbi.h"

.macro shutdown
        li      a7, SBI_EXT_SRST
        li      a6, SBI_SRST_RESET
        li      a0, SBI_SRST_TYPE_SHUTDOWN
        li      a1, SBI_SRST_REASON_NONE
        ecall
1:      j       1b
.endm

.macro guest name
.globl hostile_\name
.type hostile_\name, @function
hostile_\name:
.endm

.macro end name
.size hostile_\name, . - hostile_\name
.endm

.section .text
.option push
.option norvc                   # one instruction, one known length

# ---- writes into the hypervisor (hgatp is Bare: nothing stops them) -------
guest write_text                # flip a bit of hypervisor code
        la      t0, guest_wfi   # guest_asm.S: part of the hypervisor's .text
        lw      t1, 0(t0)
        xori    t1, t1, 0x100
        sw      t1, 0(t0)
        shutdown
end write_text

guest write_rodata              # change a constant
        la      t0, hostile_const
        li      t1, 0x0badc0de
        sw      t1, 0(t0)
        shutdown
end write_rodata

guest patch_text                # break hypervisor code, then make it run
        la      t0, vcpu_dump   # step2-vmcs/vcpu_dump.c: the failure path
        sh      zero, 0(t0)     # an all-zero parcel is an illegal instruction
        sh      zero, 2(t0)
        csrr    a0, hgatp       # an exit the hypervisor reports with a dump
end patch_text

# ---- what only HS-mode may do ---------------------------------------------
guest csr_hgatp
        csrr    a0, hgatp
end csr_hgatp

guest csr_hstatus
        csrw    hstatus, zero
end csr_hstatus

guest csr_mstatus               # an M-mode CSR
        csrr    a0, mstatus
end csr_mstatus

guest hfence_gvma
        .word   0x62000073      # hfence.gvma zero, zero
end hfence_gvma

guest hfence_vvma
        .word   0x22000073      # hfence.vvma zero, zero
end hfence_vvma

guest hlv                       # hlv.d a0, (sp): a hypervisor load
        .insn r 0x73, 0x4, 0x36, a0, sp, x0
end hlv

guest sret
        sret
end sret

guest mret
        mret
end mret

guest wfi
        wfi
end wfi

guest sfence                    # allowed: flushes the guest's own TLB
        sfence.vma
        shutdown
end sfence

# ---- instructions that do not exist (here) --------------------------------
guest illegal
        .word   0               # all zeros: defined to be illegal
end illegal

guest unimp                     # csrrw zero, cycle, zero: a read-only CSR
        unimp
end unimp

guest fp                        # the FPU is off (vsstatus.FS = 0)
        .word   0x003027f3      # csrr a0, fcsr
end fp

# ---- misaligned and atomic accesses ---------------------------------------
guest misaligned_load
        la      t0, hostile_data
        ld      a0, 1(t0)
        shutdown
end misaligned_load

guest misaligned_store
        la      t0, hostile_data
        sd      t0, 3(t0)
        shutdown
end misaligned_store

guest misaligned_amo
        la      t0, hostile_data
        addi    t0, t0, 2
        li      t1, 1
        amoadd.w a0, t1, (t0)
        shutdown
end misaligned_amo

guest lr_sc                     # allowed: atomics on its own data
        la      t0, hostile_data
1:      lr.d    a0, (t0)
        addi    a0, a0, 1
        sc.d    t1, a0, (t0)
        bnez    t1, 1b
        shutdown
end lr_sc

guest amo_mmio                  # an atomic on the UART's registers
        li      t0, UART0
        li      t1, 0x41
        amoswap.w a0, t1, (t0)
        shutdown
end amo_mmio

# ---- addresses that are not memory, or not ours ---------------------------
guest load_unmapped
        li      t0, 0x90000000  # past the end of RAM
        ld      a0, 0(t0)
end load_unmapped

guest store_opensbi             # OpenSBI's memory, guarded by PMP
        li      t0, RAM_BASE
        sd      zero, 0(t0)
end store_opensbi

guest jump_unmapped
        li      t0, 0x90000000
        jr      t0
end jump_unmapped

guest jump_zero
        jr      zero
end jump_zero

# ---- devices the hypervisor owns, used directly ----------------------------
guest uart                      # bypass the SBI console
        li      t0, UART0
        li      t1, 'U'
        sb      t1, 0(t0)
        li      t1, '\n'
        sb      t1, 0(t0)
        shutdown
end uart

guest poweroff_pass             # end the machine "successfully"
        li      t0, SIFIVE_TEST
        li      t1, SIFIVE_TEST_PASS
        sw      t1, 0(t0)
1:      j       1b
end poweroff_pass

guest poweroff_256              # status 256: QEMU keeps 8 bits, so 0
        li      t0, SIFIVE_TEST
        li      t1, (256 << 16) | SIFIVE_TEST_FAIL
        sw      t1, 0(t0)
1:      j       1b
end poweroff_256

guest reset                     # reset the whole machine
        li      t0, SIFIVE_TEST
        li      t1, SIFIVE_TEST_RESET
        sw      t1, 0(t0)
1:      j       1b
end reset

guest spin                      # never exits: only a timeout ends it
1:      j       1b
end spin

.option pop

.section .rodata
.balign 8
hostile_const:
        .word   0x12345678

.section .data
.balign 8
hostile_data:
        .dword  0, 0
