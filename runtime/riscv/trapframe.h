// The registers saved by hs_trapvec (trapvec.S) when the hypervisor itself
// traps. Shared by C and assembly, so it is plain numbers: x[n] lives at
// n * 8, the same numbering as the ISA (x[0] is unused: x0 is always 0).
#pragma once

#define TF_SEPC (32 * 8)
#define TF_SIZE (34 * 8)  // rounded up so sp stays 16-byte aligned (ABI)

#ifndef __ASSEMBLER__
#include "types.h"
struct trapframe {
  u64 x[32];  // x[1] = ra, x[2] = sp, x[10] = a0, ...
  u64 sepc;
};
#endif
