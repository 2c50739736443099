// The RISC-V Supervisor Binary Interface (SBI spec v1.0.0).
//
// Two directions use the same calling convention:
//  - the hypervisor calls the firmware below it (OpenSBI, in M-mode) with
//    ecall from HS-mode;
//  - from stage 3 on, a guest calls *us* with ecall from VS-mode, and the
//    hypervisor plays the firmware's part.
// Convention: a7 = extension id (EID), a6 = function id (FID), a0..a5 =
// arguments; the callee returns a0 = error code, a1 = value.
#pragma once

#include "hvlab/sbi_ids.h"  // extension, function and error numbers

#ifndef __ASSEMBLER__
#include "types.h"

struct sbiret {
  i64 error;
  i64 value;
};

// sbi.c: call the firmware below us.
struct sbiret sbi_call(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2);
#endif
