// Page-table entries: Sv39 (a guest's own table, VS-stage) and Sv39x4 (the
// hypervisor's G-stage table) share one format (privileged spec 4.4.1 and
// 8.5.1). The G-stage differs only in its root: 2048 entries (16 KiB)
// instead of 512, because guest physical addresses have 41 bits, two more
// than Sv39's virtual ones.
//
//   63    54 53                                10 9  8 7 6 5 4 3 2 1 0
//  | 0 ...  |              PPN                    |RSW|D|A|G|U|X|W|R|V|
//
// R=W=X=0 with V=1: a pointer to the next-level table. Otherwise a leaf.
// G-stage leaves must have U set: every guest access counts as a user
// access to the G-stage (8.5.1). Bits 61-62 (Svpbmt) and 63 (Svnapot) stay 0.
//
// Shared interface: the hypervisor builds tables, guests build their own,
// and the grader walks the hypervisor's through the gdbstub.
#pragma once

#define PTE_V (1UL << 0)  // valid
#define PTE_R (1UL << 1)  // readable
#define PTE_W (1UL << 2)  // writable
#define PTE_X (1UL << 3)  // executable
#define PTE_U (1UL << 4)  // user (required on every G-stage leaf)
#define PTE_G (1UL << 5)  // global
#define PTE_A (1UL << 6)  // accessed
#define PTE_D (1UL << 7)  // dirty
#define PTE_PPN_SHIFT 10
#define PTE_PPN_BITS 44
#define PTE_PPN(pte) (((pte) >> PTE_PPN_SHIFT) & ((1UL << PTE_PPN_BITS) - 1))
#define PTE_IS_LEAF(pte) (((pte) & (PTE_R | PTE_W | PTE_X)) != 0)

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define MEGAPAGE_SIZE (1UL << 21)  // a level-1 leaf: 2 MiB
#define GIGAPAGE_SIZE (1UL << 30)  // a level-2 leaf: 1 GiB

// Sv39x4: levels 2, 1, 0 index GPA bits [40:30], [29:21], [20:12].
#define SV39X4_ROOT_ENTRIES 2048
#define SV39X4_ROOT_SIZE (SV39X4_ROOT_ENTRIES * 8)  // and its alignment
#define SV39X4_GPA_BITS 41
#define SV39_ENTRIES 512

// satp / vsatp: MODE in bits 63:60 (8 = Sv39), ASID 59:44, root PPN 43:0.
#define SATP_MODE_SHIFT 60
#define SATP_MODE_SV39 8UL
