// Stage 2: creating a vCPU and moving its state between memory and the
// hypervisor CSRs. See vcpu.h for why RISC-V needs this in software.

#include "vcpu.h"
#include "defs.h"
#include "hext.h"
#include "riscv.h"

// Set up a vCPU that will start at `entry` in VS-mode with sp = `sp`.
// Called once per guest, before the first vcpu_load.
void vcpu_init(struct vcpu *v, const char *name, u64 entry, u64 sp) {
  memset(v, 0, sizeof(*v));
  v->name = name;
  v->pc = entry;
  v->x[2] = sp;
  v->x[10] = boot_hartid;  // a0: the guest's hart id, as firmware would pass

  // hstatus: SPV=1 makes the next sret enter V=1 (the guest); SPVP=1 says
  // the guest was in VS (not VU) mode, for hypervisor loads/stores. VSXL
  // (guest XLEN) is read-only 64 on QEMU, so keep what the hardware has.
  // VTW=1: a guest wfi traps to us (as a virtual instruction) instead of
  // stopping the hart. Until a later stage gives guests a timer, a guest
  // waiting for an interrupt would otherwise hang the machine silently.
  // BEGIN TASK lab2.1
  v->ctl.hstatus = (csr_read(hstatus) & HSTATUS_VSXL) | HSTATUS_SPV |
                   HSTATUS_SPVP | HSTATUS_VTW;
  // STUB: @TODO@;
  // END TASK
  // Delegation and counters: what stage 1 chose for every guest.
  v->ctl.hedeleg = h_hedeleg;
  v->ctl.hideleg = h_hideleg;
  v->ctl.hcounteren = h_hcounteren;
  v->ctl.henvcfg = h_henvcfg;
  v->ctl.hgatp = 0;  // Bare: guest physical = host physical (until stage 4)
  // The guest starts like a hart fresh out of firmware: interrupts and
  // paging off, the FPU off. (vsstatus.SPP is irrelevant: no trap yet.)
  v->vs.vsstatus = 0;
  v->vs.vstimecmp = ~0UL;  // no timer interrupt until the guest asks
  v->state = VCPU_READY;
}

// Write the vCPU's VS CSRs and controls into the hardware. After this, an
// sret with hstatus.SPV=1 runs the guest with exactly this state.
void vcpu_load(const struct vcpu *v) {
  // BEGIN TASK lab2.2
  // Controls first: some VS CSRs only hold what the controls allow. vsie's
  // bits, for one, read as zero unless hideleg delegates them (8.2.12),
  // and vstimecmp exists only with henvcfg.STCE.
  csr_write(hstatus, v->ctl.hstatus);
  csr_write(hedeleg, v->ctl.hedeleg);
  csr_write(hideleg, v->ctl.hideleg);
  csr_write(hvip, v->ctl.hvip);
  csr_write(hcounteren, v->ctl.hcounteren);
  csr_write(henvcfg, v->ctl.henvcfg);
  csr_write(htimedelta, v->ctl.htimedelta);
  csr_write(hgatp, v->ctl.hgatp);

  csr_write(vsstatus, v->vs.vsstatus);
  csr_write(vsie, v->vs.vsie);
  csr_write(vstvec, v->vs.vstvec);
  csr_write(vsscratch, v->vs.vsscratch);
  csr_write(vsepc, v->vs.vsepc);
  csr_write(vscause, v->vs.vscause);
  csr_write(vstval, v->vs.vstval);
  csr_write(vsatp, v->vs.vsatp);
  if (v->ctl.henvcfg & HENVCFG_STCE)
    csr_write(vstimecmp, v->vs.vstimecmp);
  // A new hgatp (or the same VMID with another table) makes any cached
  // G-stage translations stale.
  hfence_gvma_all();
  // STUB: (void)v;
  // STUB: @TODO@;
  // END TASK
}

// Read the hardware CSRs back into the vCPU, e.g. before running another
// guest on this hart, or to look at the guest's state after an exit.
void vcpu_save(struct vcpu *v) {
  // BEGIN TASK lab2.3
  v->ctl.hstatus = csr_read(hstatus);
  v->ctl.hedeleg = csr_read(hedeleg);
  v->ctl.hideleg = csr_read(hideleg);
  v->ctl.hvip = csr_read(hvip);
  v->ctl.hcounteren = csr_read(hcounteren);
  v->ctl.henvcfg = csr_read(henvcfg);
  v->ctl.htimedelta = csr_read(htimedelta);
  v->ctl.hgatp = csr_read(hgatp);

  v->vs.vsstatus = csr_read(vsstatus);
  v->vs.vsie = csr_read(vsie);
  v->vs.vstvec = csr_read(vstvec);
  v->vs.vsscratch = csr_read(vsscratch);
  v->vs.vsepc = csr_read(vsepc);
  v->vs.vscause = csr_read(vscause);
  v->vs.vstval = csr_read(vstval);
  v->vs.vsatp = csr_read(vsatp);
  if (v->ctl.henvcfg & HENVCFG_STCE)  // vstimecmp exists only with Sstc
    v->vs.vstimecmp = csr_read(vstimecmp);
  // STUB: (void)v;
  // STUB: @TODO@;
  // END TASK
}
