# Stage 3: reading guest memory without trusting the guest.
#
# The hypervisor reads guest memory with the H extension's "hypervisor
# load" instructions (HLV, HLVX): from HS-mode they load as the guest
# would, through the guest's own page table (vsatp) and the G-stage
# (hgatp). A guest can hand us any address -- a pc in nowhere, a hypercall
# buffer it does not own -- and then that load traps, in HS-mode. Left to
# the ordinary trap vector, that is a hypervisor panic caused by a guest.
#
# So each accessor here points stvec at a tiny handler of its own for the
# length of one instruction (KVM's kvm_riscv_vcpu_unpriv_read does the
# same). If the load traps, the handler notes scause and skips the load,
# and the accessor returns that cause instead of a value:
#
#     u64 guest_hlvx_hu(u64 gva, u64 *val);  // 16 bits, execute permission
#     u64 guest_hlv_bu(u64 gva, u64 *val);   // 8 bits, read permission
#
# return 0 and store *val, or return the scause of the fault (never 0 for a
# load) and leave *val alone; stval and htval still describe the fault.
#
# The trap also rewrites CSRs that must survive between a guest's exit and
# its next entry: hstatus.SPV (a trap from V=0 clears it, and sret would
# then "return" to HS instead of the guest) and sstatus's SPP/SPIE. So the
# accessor saves both and puts them back. sepc is not saved: vcpu_enter
# writes it before every entry.

.cfi_sections .debug_frame
.section .text

# SAFE_LOAD name, funct7, rs2: an accessor around one hypervisor load,
# written as .insn because GCC 12's -march cannot name the H extension.
#   hlvx.hu = funct7 0x32, rs2 3;  hlv.bu = funct7 0x30, rs2 1.
.macro SAFE_LOAD name, funct7, rs2
.globl \name
.type \name, @function
\name:                          # a0 = guest virtual address, a1 = u64 *val
        .cfi_startproc
        csrr    a3, hstatus
        csrr    a4, sstatus
        la      t0, guest_access_trap
        csrrw   a5, stvec, t0
        li      a2, 0           # the handler sets a2 = scause on a fault
        .insn r 0x73, 0x4, \funct7, a6, a0, x\rs2   # the load: a6 = *a0
        csrw    stvec, a5
        csrw    hstatus, a3
        csrw    sstatus, a4
        bnez    a2, 1f
        sd      a6, 0(a1)
1:      mv      a0, a2
        ret
        .cfi_endproc
.size \name, . - \name
.endm

SAFE_LOAD guest_hlvx_hu, 0x32, 3
SAFE_LOAD guest_hlv_bu, 0x30, 1

# Where a faulting load above lands. Only a2 and t0 may change: the
# accessor owns them. Every H load is 4 bytes long.
.balign 4                       # stvec needs a 4-byte aligned address
.type guest_access_trap, @function
guest_access_trap:
        csrr    a2, scause
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        # Return to HS-mode: SPP = S and hstatus.SPV = 0. A fault that the
        # CPU delegates to us sets both so; an access fault is not
        # delegated, and OpenSBI, which forwards it, leaves SPP = U.
        li      t0, 1 << 8      # SSTATUS_SPP
        csrs    sstatus, t0
        li      t0, 1 << 7      # HSTATUS_SPV
        csrc    hstatus, t0
        sret
.size guest_access_trap, . - guest_access_trap
