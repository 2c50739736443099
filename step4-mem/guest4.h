// Stage 4: what the hypervisor and its built-in guest (guest/) agree on.
// The guest is a program of its own, linked at the address where a kernel
// for QEMU's virt machine is loaded, and copied into guest RAM there.
#pragma once

#include "types.h"

#define G4_LOAD_GPA 0x80200000UL  // where the guest image goes (and starts)

// Which test the guest runs: the hypervisor passes it in a2, and the
// addresses it needs in a3 and a4.
enum g4_test {
  G4_PAGING = 1,  // its own Sv39 table over our G-stage; a pattern; checks
  G4_HVIMAGE,     // store to the hypervisor's addresses a3 (code), a4 (data)
  G4_BEYOND,      // store at a3, just past the end of its RAM
  G4_ROM,         // read, then store to the ROM at a3
  G4_LOAD,        // load from a3, where nothing is
  G4_FETCH,       // jump to a3, where nothing is
  G4_PTWALK,      // its own page table points into a3, where nothing is
  G4_DEMAND,      // touch pages at a3, a3 + a4, ... (RAM mapped on demand)
  G4_FAULTBENCH,  // count the instructions of one on-demand fault at a3
  G4_MMIO,        // loads and stores to the test device at a3 (testdev.c)
};

#define G4_HOLE_GPA 0x1000000000UL  // 64 GiB: never guest memory
#define G4_ROM_GPA 0x1000UL
#define G4_ROM_MAGIC 0x2e4d4f5220346768UL
#define G4_WINDOW_VA 0x40000000UL          // the guest maps its pattern here
#define G4_UNMAPPED_VA 0x50000000UL        // and nothing here
#define G4_TESTDEV_GPA 0x00200000UL        // the test device's registers
#define G4_TESTDEV_ID 0x7665646261c2768UL  // what its ID register reads
#define G4_PAT_PAGES 4
#define G4_DEMAND_PAGES 16

// The test pattern: a value for every 8-byte word, from its GPA.
static inline u64 g4_pattern(u64 gpa) {
  return (gpa * 0x9e3779b97f4a7c15UL) ^ 0x5eed5eed5eed5eedUL;
}
