// Stage 2 driver: build a vCPU, push it into the hardware CSRs, pull it
// back, and check that every field survived the round trip.

#include "bootargs.h"
#include "defs.h"
#include "hext.h"
#include "riscv.h"
#include "vcpu.h"

// One field of struct vcpu, a value to write, and the bits that must read
// back as written. Most CSRs are WARL ("write any, read legal"): bits the
// hardware does not implement read as 0 or as a fixed value (vsstatus.UXL
// always reads 64-bit), so we only compare the bits we mean to test.
struct probe {
  const char *name;
  size_t off;
  u64 value, mask;
};

#define F(member, val, msk)                                                    \
  { #member, offsetof(struct vcpu, member), val, msk }
static const struct probe probes[] = {
    F(vs.vsstatus, SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR,
      SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR),
    F(vs.vsie, 0x222, 0x222),  // SSIE/STIE/SEIE, live because of hideleg
    F(vs.vstvec, 0x80201000, ~0UL),
    F(vs.vsscratch, 0x1122334455667788, ~0UL),
    F(vs.vsepc, 0x80203004, ~1UL),  // bit 0 of an epc is always 0
    F(vs.vscause, 13, ~0UL),
    F(vs.vstval, 0xdeadbeef, ~0UL),
    F(vs.vsatp, (8UL << 60) | 0x80400, ~0UL),  // Sv39, a plausible root
    F(vs.vstimecmp, 0x123456789, ~0UL),
    F(ctl.hstatus, HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | HSTATUS_VTSR,
      HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | HSTATUS_VTSR | HSTATUS_VTVM),
    F(ctl.hedeleg, 0xb101, 0xb1ff),
    F(ctl.hideleg, 0x444, 0x444),
    F(ctl.hvip, MIP_VSSIP, 0x444),
    F(ctl.hcounteren, 0x7, 0x7),
    F(ctl.henvcfg, HENVCFG_STCE, HENVCFG_STCE),
    F(ctl.htimedelta, 0x1000, ~0UL),
    F(ctl.hgatp,
      (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | (5UL << 44) | 0x80400, ~0UL),
};

// The boot arguments stage 2 accepts (bootargs.h); boot() checks them.
static const char *const crash_words[] = {"hv", "sp", "stack", "status", NULL};
static const struct bootarg args[] = {
    BOOTARG_WORD("crash", &boot_crash, crash_words,
                 "hypervisor traps (hv, sp), overflow (stack), poweroff(256)"),
};
const struct stage_info stage = {"step2", args, ARRAY_SIZE(args), NULL, NULL};

static u64 *at(struct vcpu *v, size_t off) { return (u64 *)((u8 *)v + off); }

static struct vcpu a, b;

int stage_main(void) {
  printf("step2: the vCPU control structure (a software VMCS)\n");
  h_enable(0);

  vcpu_init(&a, "selftest", 0x80300000, 0x80310000);
  printf("a fresh vCPU:\n");
  vcpu_dump(&a);

  for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
    *at(&a, probes[i].off) = probes[i].value;
  vcpu_load(&a);  // struct -> CSRs
  vcpu_save(&b);  // CSRs -> another struct

  printf("round trip through the hardware CSRs:\n");
  int bad[ARRAY_SIZE(probes)] = {0};  // per field: did it fail either check?
  for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
    const struct probe *p = &probes[i];
    u64 got = *at(&b, p->off);
    int ok = (got & p->mask) == (p->value & p->mask);
    bad[i] |= !ok;
    printf("  %-14s wrote %016lx read %016lx  %s\n", p->name, p->value, got,
           ok ? "ok" : "MISMATCH");
  }

  // And back: loading a fresh vCPU must overwrite every one of them.
  vcpu_init(&a, "fresh", 0x80300000, 0x80310000);
  vcpu_load(&a);
  vcpu_save(&b);
  for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
    const struct probe *p = &probes[i];
    if ((*at(&b, p->off) & p->mask) != (*at(&a, p->off) & p->mask)) {
      printf("  %-14s not restored by loading a fresh vCPU  MISMATCH\n",
             p->name);
      bad[i] = 1;
    }
  }
  int nbad = 0;
  for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
    nbad += bad[i];
  csr_write(hvip, 0);
  csr_write(hgatp, 0);
  hfence_gvma_all();

  if (nbad) {
    printf("step2: FAIL: %d of %d fields did not survive the round trip\n",
           nbad, (int)ARRAY_SIZE(probes));
    return EXIT_FAIL;
  }
  printf("step2: PASS: %d fields round-trip through the hardware CSRs\n",
         (int)ARRAY_SIZE(probes));
  return EXIT_OK;
}
