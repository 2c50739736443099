// RISC-V control and status registers (CSRs) for an HS-mode hypervisor.
//
// Names and bit positions follow the RISC-V Privileged Architecture,
// version 20211203: chapter 4 for the S-level CSRs and chapter 8 ("Hypervisor
// Extension, Version 1.0") for the H and VS CSRs. Section numbers below refer
// to that document.
#pragma once

#include "hvlab/csr.h"  // CSR numbers and bit fields, shared with host tools
#include "types.h"

// ---- Accessors -------------------------------------------------------------
// The assembler (GNU as 2.40) knows every CSR by name, even the H ones that
// GCC 12 will not let us enable with -march, so csr_read(hstatus) becomes
// "csrr rd, hstatus" text that assembles fine.
#define csr_read(csr)                                                          \
  ({                                                                           \
    u64 v_;                                                                    \
    asm volatile("csrr %0, " #csr : "=r"(v_));                                 \
    v_;                                                                        \
  })
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" ::"rK"((u64)(val)))
#define csr_set(csr, bits) asm volatile("csrs " #csr ", %0" ::"rK"((u64)(bits)))
#define csr_clear(csr, bits)                                                   \
  asm volatile("csrc " #csr ", %0" ::"rK"((u64)(bits)))

// ---- Small helpers -----------------------------------------------------------
// Flush G-stage TLB entries. Written as a raw word so the .c files need not
// enable the H extension in the assembler: hfence.gvma zero, zero.
static inline void hfence_gvma_all(void) {
  asm volatile(".word 0x62000073" ::: "memory");
}
