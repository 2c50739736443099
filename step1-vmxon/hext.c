// Stage 1: turn virtualization on -- the RISC-V counterpart of VMXON.
//
// On x86 a hypervisor must switch the CPU into VMX operation (VMXON) before
// it can run guests. RISC-V has no such switch: if the hart implements the
// H extension, HS-mode simply has the hypervisor CSRs and instructions
// (privileged spec, chapter 8). So "turning it on" here means:
//   1. find out whether H exists -- by trying it, and by asking the firmware's
//      device tree -- without crashing if it does not;
//   2. learn what this implementation supports (guest XLEN, VMID bits, which
//      traps can be delegated);
//   3. set the delegation and counter CSRs that every later stage relies on.

#include "hext.h"
#include "defs.h"
#include "riscv.h"
#include "sbi.h"

u64 h_hedeleg, h_hideleg, h_hcounteren, h_henvcfg;

// Write all ones to a CSR, read back what stuck, and restore it: the bits that
// stuck are the ones the hardware implements (WARL fields, spec 2.3).
#define writable_bits(csr)                                                     \
  ({                                                                           \
    u64 old_ = csr_read(csr);                                                  \
    csr_write(csr, ~0UL);                                                      \
    u64 got_ = csr_read(csr);                                                  \
    csr_write(csr, old_);                                                      \
    got_;                                                                      \
  })

void h_detect(struct hinfo *hi) {
  memset(hi, 0, sizeof(*hi));

  // Way 1: just try. Without H, "csrr hstatus" is an illegal instruction;
  // the probe in trap.c catches that and skips the instruction.
  u64 hstatus = 0;
  // BEGIN TASK lab1.1
  probe_arm();
  asm volatile("csrr %0, hstatus" : "=r"(hstatus));
  u64 trapped = probe_disarm();
  hi->probe_h = !trapped;
  hi->probe_cause = trapped ? trapped - 1 : 0;
  // STUB: @TODO@;
  // END TASK

  // Way 2: ask the device tree, which lists the hart's extensions.
  hi->isa = dtb_cpu_isa(boot_dtb);
  hi->isa_h = isa_has_ext(hi->isa, "h");
  hi->isa_sstc = isa_has_ext(hi->isa, "sstc");

  // The probe is the hardware speaking; the DTB is only a description.
  hi->has_h = hi->probe_h;
  if (!hi->has_h)
    return;

  hi->hstatus = hstatus;
  // BEGIN TASK lab1.2
  hi->vsxl = (int)((hstatus & HSTATUS_VSXL) >> HSTATUS_VSXL_SHIFT);

  // VMID width (8.2.10): write ones to every VMID bit and count the ones
  // that stay. With MODE=Bare the other fields must be zero, so probe with
  // Sv39x4; nothing is translated meanwhile, because we run with V=0 and
  // G-stage translation applies only to guests.
  csr_write(hgatp, (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | HGATP_VMID);
  u64 vmid = (csr_read(hgatp) & HGATP_VMID) >> HGATP_VMID_SHIFT;
  csr_write(hgatp, 0);
  hfence_gvma_all();
  while (vmid & 1) {
    hi->vmid_bits++;
    vmid >>= 1;
  }

  hi->hedeleg_mask = writable_bits(hedeleg);
  hi->hideleg_mask = writable_bits(hideleg);
  // STUB: @TODO@;
  // END TASK

  // Sstc (supervisor timer compare) lets a guest program its own timer
  // through vstimecmp instead of calling us. The firmware must have enabled
  // it for S-mode (menvcfg.STCE), so try stimecmp as well.
  probe_arm();
  asm volatile("csrr %0, stimecmp" : "=r"(hstatus));
  hi->probe_sstc = !probe_disarm();
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

void h_report(const struct hinfo *hi) {
  struct sbiret spec =
      sbi_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
  struct sbiret impl = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0);
  printf("  firmware      : SBI %ld.%ld, implementation %ld%s\n",
         (spec.value >> 24) & 0x7f, spec.value & 0xffffff, impl.value,
         impl.value == 1 ? " (OpenSBI)" : "");
  printf("  riscv,isa     : %s\n", hi->isa ? hi->isa : "(not in device tree)");
  if (hi->probe_h)
    printf("  H by probe    : yes (csrr hstatus = %016lx)\n", hi->hstatus);
  else
    printf("  H by probe    : no (csrr hstatus trapped: scause %ld, %s)\n",
           hi->probe_cause, hv_cause_name(hi->probe_cause));
  printf("  H in isa      : %s\n", yesno(hi->isa_h));
  if (hi->probe_h != hi->isa_h)
    printf("  warning: the device tree and the hardware disagree; "
           "trusting the hardware\n");
  if (!hi->has_h)
    return;
  printf("  VSXL          : %d (guests run with %d-bit registers)\n", hi->vsxl,
         hi->vsxl == 2   ? 64
         : hi->vsxl == 1 ? 32
                         : 0);
  printf("  VMID bits     : %d (up to %lu guests tagged in the TLB)\n",
         hi->vmid_bits, 1UL << hi->vmid_bits);
  printf("  hedeleg       : %016lx writable\n", hi->hedeleg_mask);
  printf("  hideleg       : %016lx writable\n", hi->hideleg_mask);
  printf("  Sstc          : %s in isa, stimecmp %s\n", yesno(hi->isa_sstc),
         hi->probe_sstc ? "readable" : "traps");
}

// Exceptions a guest can handle by itself. They are raised by the guest's
// own code and concern only its own address space, so sending them straight
// to the guest's trap vector (vstvec) saves a round trip through us.
// BEGIN TASK lab1.3
#define GUEST_EXCEPTIONS                                                       \
  ((1UL << EXC_INST_MISALIGNED) | (1UL << EXC_ECALL_U) |                       \
   (1UL << EXC_INST_PAGE_FAULT) | (1UL << EXC_LOAD_PAGE_FAULT) |               \
   (1UL << EXC_STORE_PAGE_FAULT))
// END TASK

void h_setup(const struct hinfo *hi, int verbose) {
  // BEGIN TASK lab1.3
  h_hedeleg = GUEST_EXCEPTIONS & hi->hedeleg_mask;
  h_hideleg = (MIP_VSSIP | MIP_VSTIP | MIP_VSEIP) & hi->hideleg_mask;
  h_hcounteren = HCOUNTEREN_CY | HCOUNTEREN_TM | HCOUNTEREN_IR;
  h_henvcfg = hi->probe_sstc ? HENVCFG_STCE : 0;

  csr_write(hedeleg, h_hedeleg);
  csr_write(hideleg, h_hideleg);
  csr_write(hcounteren, h_hcounteren);
  csr_write(henvcfg, h_henvcfg);
  // STUB: (void)hi;
  // STUB: @TODO@;
  // END TASK
  // Make sure the guest's TLB tag and G-stage start clean.
  csr_write(hgatp, 0);
  hfence_gvma_all();

  if (!verbose)
    return;
  printf(
      "  hedeleg    = %016lx  guest handles its own: instruction misaligned,\n"
      "                                 ecall from VU, page faults "
      "(12,13,15)\n",
      csr_read(hedeleg));
  printf(
      "                                 we keep: ecall from VS (hypercalls), "
      "breakpoints,\n"
      "                                 illegal/virtual instructions, "
      "guest-page faults\n");
  printf("  hideleg    = %016lx  VS software/timer/external interrupts go to "
         "the guest\n",
         csr_read(hideleg));
  printf("  hcounteren = %016lx  guest may read cycle, time, instret "
         "(else scause 22)\n",
         csr_read(hcounteren));
  printf("  henvcfg    = %016lx  %s\n", csr_read(henvcfg),
         h_henvcfg & HENVCFG_STCE ? "STCE: guest may use vstimecmp (Sstc)"
                                  : "no Sstc: guest timers go through SBI");
}

// For later stages: detect quietly, stop plainly if there is no H, set up.
void h_enable(int verbose) {
  struct hinfo hi;
  h_detect(&hi);
  if (verbose)
    h_report(&hi);
  if (!hi.has_h) {
    printf("hv: under QEMU, the H extension needs -cpu rv64,h=true "
           "(what make stepN uses unless told H=off).\n"
           "hv: FAIL: this CPU has no H extension, so it cannot run guests.\n");
    poweroff(EXIT_NO_H);
  }
  if (verbose)
    printf("setting the hypervisor CSRs the next stages rely on:\n");
  h_setup(&hi, verbose);
}
