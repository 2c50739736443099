// A RISC-V instruction decoder: RV64GC, Zicsr, Zifencei and the H
// extension's instructions (hlv, hlvx, hsv, hfence.vvma, hfence.gvma).
//
// Two uses: showing the instruction behind each VM exit, and emulating a
// guest's MMIO load or store, for which the decoder also says what the
// access is (width, sign, registers, offset), compressed forms included.
//
// Text follows binutils' objdump: ABI register names, its usual aliases
// for 32-bit instructions (li, mv, ret, csrr, ...), and for 16-bit ones the
// compressed mnemonic itself (c.ldsp a0,8(sp)), so the length shows.
// Files: rvdecode.c (32-bit), rvdecode_c.c (16-bit), rvnames.c (names).
#pragma once

#include <stdint.h>

struct rv_insn {
  uint32_t raw;   // the instruction bits (a 16-bit one in the low half)
  int len;        // bytes: 2 or 4 (6 or 8 for longer encodings, unknown)
  int known;      // 0: not an RV64GC/H instruction; text is "unknown 0x.."
  char text[64];  // disassembly
  int csr;        // Zicsr instructions: the CSR number; else -1

  // Memory accesses. is_load/is_store are set for plain loads and stores
  // (and hlv/hlvx/hsv), which is what MMIO emulation can handle; atomics
  // (lr, sc, amo*) set only atomic and width.
  int is_load, is_store, atomic;
  int width;      // bytes accessed
  int is_signed;  // a load that sign-extends
  int fp;         // the data register is an f register (flw, c.fsdsp, ...)
  int hyp;        // hlv/hlvx/hsv: an access made as the guest (V=1)
  int reg;        // the data register: rd of a load, rs2 of a store
  int rs1;        // the base register
  int64_t imm;    // the offset added to it
};

// The length of the instruction whose first 16 bits are lo16.
int rv_insn_len(uint32_t lo16);
// Decode the instruction in bits (the low 16 bits only, if it is a
// compressed one) at address pc (branch targets are shown absolute).
// Returns its length. Never fails: unknown encodings say so in out->text.
int rv_decode(uint32_t bits, uint64_t pc, struct rv_insn *out);

// Names: x registers by ABI name ("zero", "ra", ..., "s0", ...), f registers
// ("ft0", ...), CSRs ("hstatus"; NULL for a number without a name).
const char *rv_xreg_name(int n);
const char *rv_freg_name(int n);
const char *rv_csr_name(int csr);
