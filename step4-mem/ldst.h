// Stage 4: what a load or store instruction does -- for device emulation,
// where the hardware does not say (htinst is 0 on QEMU 7.2), so the
// hypervisor reads the faulting instruction and decodes it itself.
#pragma once

#include "types.h"

struct ldst {
  int store;  // 0: a load into reg; 1: a store of reg
  int reg;    // rd or rs2
  int bytes;  // 1, 2, 4, 8
  int sign;   // a load that sign-extends (lb, lh, lw, c.lw, c.lwsp)
  int len;    // instruction length: 2 or 4
};

// Decode the integer loads and stores of RV64I and RVC. Returns 0, or -1
// for anything else (floating-point loads, AMOs, ...).
int ldst_decode(u64 insn, int len, struct ldst *op);
