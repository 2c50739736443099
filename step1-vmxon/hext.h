// Stage 1: finding and turning on the H extension.
#pragma once

#include "types.h"

// What we learn about the CPU's virtualization support.
struct hinfo {
  int has_h;         // the verdict: can we run guests?
  int probe_h;       // reading hstatus did not trap
  u64 probe_cause;   // ... else the scause it trapped with
  int isa_h;         // the device tree's riscv,isa names "h"
  const char *isa;   // that string (NULL if the DTB has none)
  u64 hstatus;       // hstatus as we found it
  int vsxl;          // guest XLEN code: 1 = 32, 2 = 64 bit
  int vmid_bits;     // implemented VMID width in hgatp (0..14)
  u64 hedeleg_mask;  // which hedeleg bits can be set
  u64 hideleg_mask;  // which hideleg bits can be set
  int isa_sstc;      // riscv,isa names "sstc"
  int probe_sstc;    // reading stimecmp did not trap
};

// The delegation every later stage runs with (see h_setup in hext.c).
extern u64 h_hedeleg, h_hideleg, h_hcounteren, h_henvcfg;

void h_detect(struct hinfo *hi);
void h_report(const struct hinfo *hi);
void h_setup(const struct hinfo *hi, int verbose);
void h_enable(int verbose);
