// Stage 2: the vCPU control structure -- our software VMCS.
//
// On x86, VT-x keeps a guest's state in a VMCS, a memory region the CPU
// itself loads and saves on VM entry and exit, with four areas: guest
// state, host state, controls, and exit information. RISC-V has no such
// structure. The H extension instead gives HS-mode a set of CSRs:
//   - VS CSRs (vsstatus, vstvec, vsepc, ...), the guest's copy of the
//     S-mode CSRs: while V=1 the guest's "sstatus" *is* vsstatus;
//   - control CSRs (hstatus, hedeleg, hgatp, ...), which say how the guest
//     runs and what traps to us.
// There is one set of them per hart, not per guest, so to run several
// guests -- or just to stop and inspect one -- software must save and
// restore them itself. struct vcpu is where they live while the guest is
// not on the CPU, laid out in the VMCS's four areas so the parallel is
// easy to follow.
#pragma once

#include "types.h"

// The guest's VS-level CSRs (privileged spec 8.2.11-8.2.18; vstimecmp comes
// from the Sstc extension).
struct vcpu_vs {
  u64 vsstatus;   // guest's sstatus: SIE, SPP, FS, ...
  u64 vsie;       // guest's sie (only bits hideleg delegates are live)
  u64 vstvec;     // guest's trap vector
  u64 vsscratch;  // guest's sscratch
  u64 vsepc;      // guest's sepc
  u64 vscause;    // guest's scause
  u64 vstval;     // guest's stval
  u64 vsatp;      // guest's satp: its own page table (VS-stage)
  u64 vstimecmp;  // guest's stimecmp (Sstc; unused without it)
};

// Controls: how the guest runs and which events come to us (8.2.1-8.2.10).
struct vcpu_ctl {
  u64 hstatus;     // SPV/SPVP: enter the guest in VS-mode; VSXL; VTW/VTSR/VTVM
  u64 hedeleg;     // exceptions the guest handles itself
  u64 hideleg;     // interrupts the guest handles itself
  u64 hvip;        // virtual interrupts we inject into the guest
  u64 hcounteren;  // counters the guest may read
  u64 henvcfg;     // guest environment: Sstc (STCE), ...
  u64 htimedelta;  // guest time = host time + htimedelta
  u64 hgatp;       // G-stage page table root (stage 4), VMID
};

// What the last exit was (filled by the world switch, stage 3): the
// counterpart of the VMCS's exit-information fields.
struct vm_exit {
  u64 cause;   // scause: why the guest stopped
  u64 pc;      // sepc: the guest instruction that caused it
  u64 tval;    // stval: faulting address or instruction, by cause
  u64 htval;   // guest physical address >> 2, for guest-page faults
  u64 htinst;  // transformed instruction, or 0 (always 0 on QEMU 7.2)
  // (stage 3 reads tval, htval and htinst only for exits that use them:
  // an ecall's are left as they were; vcpu_dump says so.)
};

enum vcpu_state { VCPU_READY, VCPU_RUNNING, VCPU_STOPPED, VCPU_FAILED };

struct vcpu {
  // ---- guest state ----
  u64 x[32];  // general registers; x[n] is register n (x[0] unused)
  u64 pc;     // where the guest runs next
  struct vcpu_vs vs;
  // ---- host state: saved by the world switch at each entry (stage 3) ----
  u64 host_ra;  // where the hypervisor continues after the guest exits
  u64 host_sp;  // the hypervisor's stack pointer
  u64 host_fp;  // its frame pointer (s0), which gdb's backtraces follow
  // ---- controls ----
  struct vcpu_ctl ctl;
  // ---- exit information ----
  struct vm_exit exit;
  // ---- bookkeeping ----
  const char *name;
  int id;  // the guest's hart id (stage 5 runs a vCPU per hart; else 0)
  enum vcpu_state state;
  int status;  // when stopped: the guest's exit status (SRST reason)
};

void vcpu_init(struct vcpu *v, const char *name, u64 entry, u64 sp);
void vcpu_load(const struct vcpu *v);  // struct -> hardware CSRs
void vcpu_save(struct vcpu *v);        // hardware CSRs -> struct
void vcpu_dump(const struct vcpu *v);
void hstatus_decode(u64 hstatus, char *buf, size_t n);
