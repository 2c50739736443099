// The general registers' ABI names (psABI, "RISC-V ELF psABI": x0 is
// "zero", x1 "ra", ...), for dumps on both sides: the hypervisor's panic
// and vCPU dumps, the instruction decoder and the monitor's register pane.
//
// Shared interface: needs nothing but the compiler.
#pragma once

// The name of register xN, or "?" if n is not 0..31.
static inline const char *hv_xreg_name(int n) {
  static const char *const names[32] = {
      "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
      "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
      "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  return n >= 0 && n < 32 ? names[n] : "?";
}
