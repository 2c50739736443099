// CSR numbers and bit fields (RISC-V Privileged Architecture 20211203:
// tables 2.2 and 8.1 for the numbers, chapters 4 and 8 for the fields).
//
// Shared interface: the hypervisor (freestanding) and the host tools
// (hosted) both include this file, so it holds plain #defines only. The
// assembler knows CSRs by name; the numbers are for code that talks *about*
// CSRs: dumps, the instruction decoder, and the host tools (QEMU's gdbstub
// numbers CSR n as register 66 + n). The fields are 64-bit values (UL: both
// sides are LP64).
#pragma once

#define CSR_SSTATUS 0x100
#define CSR_SIE 0x104
#define CSR_STVEC 0x105
#define CSR_SCOUNTEREN 0x106
#define CSR_SENVCFG 0x10a
#define CSR_SSCRATCH 0x140
#define CSR_SEPC 0x141
#define CSR_SCAUSE 0x142
#define CSR_STVAL 0x143
#define CSR_SIP 0x144
#define CSR_STIMECMP 0x14d
#define CSR_SATP 0x180
#define CSR_VSSTATUS 0x200
#define CSR_VSIE 0x204
#define CSR_VSTVEC 0x205
#define CSR_VSSCRATCH 0x240
#define CSR_VSEPC 0x241
#define CSR_VSCAUSE 0x242
#define CSR_VSTVAL 0x243
#define CSR_VSIP 0x244
#define CSR_VSTIMECMP 0x24d
#define CSR_VSATP 0x280
#define CSR_HSTATUS 0x600
#define CSR_HEDELEG 0x602
#define CSR_HIDELEG 0x603
#define CSR_HIE 0x604
#define CSR_HTIMEDELTA 0x605
#define CSR_HCOUNTEREN 0x606
#define CSR_HGEIE 0x607
#define CSR_HENVCFG 0x60a
#define CSR_HTVAL 0x643
#define CSR_HIP 0x644
#define CSR_HVIP 0x645
#define CSR_HTINST 0x64a
#define CSR_HGATP 0x680
#define CSR_HGEIP 0xe12
#define CSR_TIME 0xc01

// ---- sstatus (4.1.1) --------------------------------------------------------
#define SSTATUS_SIE (1UL << 1)   // S-mode interrupts enabled
#define SSTATUS_SPIE (1UL << 5)  // SIE before the last trap
#define SSTATUS_SPP (1UL << 8)   // privilege before the trap: 1 = S (or VS)
#define SSTATUS_FS (3UL << 13)   // floating-point unit state: 0 = off
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_SUM (1UL << 18)  // S-mode may touch U pages
#define SSTATUS_MXR (1UL << 19)  // loads from execute-only pages allowed
#define SSTATUS_SD (1UL << 63)   // some state (FS/VS/XS) is dirty

// ---- Interrupt bits, shared by sip/sie/hip/hie/hvip/hideleg (4.1.3, 8.2.3) --
#define IRQ_SSI 1    // supervisor software interrupt
#define IRQ_VSSI 2   // virtual supervisor software interrupt
#define IRQ_STI 5    // supervisor timer interrupt
#define IRQ_VSTI 6   // virtual supervisor timer interrupt
#define IRQ_SEI 9    // supervisor external interrupt
#define IRQ_VSEI 10  // virtual supervisor external interrupt
#define IRQ_SGEI 12  // supervisor guest external interrupt
#define NR_IRQ 13
#define MIP_VSSIP (1UL << IRQ_VSSI)
#define MIP_VSTIP (1UL << IRQ_VSTI)
#define MIP_VSEIP (1UL << IRQ_VSEI)

// ---- scause values (4.1.8 and table 8.6) -----------------------------------
#define SCAUSE_INTERRUPT (1UL << 63)
#define EXC_INST_MISALIGNED 0
#define EXC_INST_ACCESS 1
#define EXC_ILLEGAL_INST 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8    // ecall from U-mode or VU-mode
#define EXC_ECALL_HS 9   // ecall from HS-mode (that is us, to OpenSBI)
#define EXC_ECALL_VS 10  // ecall from VS-mode: a guest's hypercall
#define EXC_ECALL_M 11
#define EXC_INST_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15
#define EXC_INST_GUEST_PAGE_FAULT 20   // G-stage translation failed on fetch
#define EXC_LOAD_GUEST_PAGE_FAULT 21   // ... on a load
#define EXC_VIRTUAL_INST 22            // VS/VU tried something only HS may do
#define EXC_STORE_GUEST_PAGE_FAULT 23  // ... on a store or AMO
#define NR_EXC 24

// ---- hstatus (8.2.1) ---------------------------------------------------------
//  63      34 33 32      22   21   20      17..12   9    8     7    6    5
// | WPRI    | VSXL | .. |VTSR|VTW|VTVM| .. | VGEIN |..|HU|SPVP| SPV |GVA|VSBE|
#define HSTATUS_VSBE (1UL << 5)  // VS-mode data accesses are big-endian
#define HSTATUS_GVA (1UL << 6)   // stval holds a guest virtual address
#define HSTATUS_SPV (1UL << 7)   // trap came from V=1; sret returns to V=1
#define HSTATUS_SPVP (1UL << 8)  // guest privilege before the trap: 1 = VS
#define HSTATUS_HU (1UL << 9)    // U-mode may use hlv/hsv
#define HSTATUS_VGEIN_SHIFT 12   // which guest external interrupt is VSEIP
#define HSTATUS_VGEIN (0x3fUL << HSTATUS_VGEIN_SHIFT)
#define HSTATUS_VTVM (1UL << 20)  // trap guest satp / sfence.vma
#define HSTATUS_VTW (1UL << 21)   // trap guest wfi
#define HSTATUS_VTSR (1UL << 22)  // trap guest sret
#define HSTATUS_VSXL_SHIFT 32     // guest XLEN: 1 = 32, 2 = 64
#define HSTATUS_VSXL (3UL << HSTATUS_VSXL_SHIFT)
// Its one-bit flags, most significant first, for decoders on both sides:
// X(name) for each, with HSTATUS_##name the bit.
#define HSTATUS_FLAGS(X)                                                       \
  X(VTSR) X(VTW) X(VTVM) X(HU) X(SPVP) X(SPV) X(GVA) X(VSBE)

// ---- hgatp: the G-stage (guest physical -> host physical) root (8.2.10) ----
//  63   60 59 58 57          44 43                     0
// | MODE  | 0   |    VMID      |          PPN           |
#define HGATP_MODE_SHIFT 60
#define HGATP_MODE_BARE 0UL    // no translation: GPA = HPA
#define HGATP_MODE_SV39X4 8UL  // 41-bit guest physical addresses
#define HGATP_MODE_SV48X4 9UL
#define HGATP_MODE_SV57X4 10UL
#define HGATP_VMID_SHIFT 44
#define HGATP_VMID (0x3fffUL << HGATP_VMID_SHIFT)  // at most 14 bits
#define HGATP_PPN 0xfffffffffffUL

// ---- hcounteren (8.2.6): which counters the guest may read ----------------
#define HCOUNTEREN_CY (1UL << 0)  // cycle
#define HCOUNTEREN_TM (1UL << 1)  // time
#define HCOUNTEREN_IR (1UL << 2)  // instret

// ---- henvcfg (8.2.5): the guest's execution environment ------------------
#define HENVCFG_FIOM (1UL << 0)
#define HENVCFG_CBIE (3UL << 4)
#define HENVCFG_CBCFE (1UL << 6)
#define HENVCFG_CBZE (1UL << 7)
#define HENVCFG_PBMTE (1UL << 62)  // Svpbmt page attributes in the guest
#define HENVCFG_STCE (1UL << 63)   // Sstc: guest may use vstimecmp
