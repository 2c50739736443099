// Stage 2: printing a vCPU, in the spirit of a VMCS dump -- every field by
// name, grouped like the VMCS's areas, with hstatus decoded bit by bit.

#include "defs.h"
#include "riscv.h"
#include "vcpu.h"

// hstatus as text, e.g. "VSXL=64 SPVP SPV" (privileged spec 8.2.1).
void hstatus_decode(u64 h, char *buf, size_t n) {
  static const struct {
    u64 bit;
    const char *name;
  } bits[] = {
#define FLAG(name) {HSTATUS_##name, #name},
      HSTATUS_FLAGS(FLAG)
#undef FLAG
  };
  u64 vsxl = (h & HSTATUS_VSXL) >> HSTATUS_VSXL_SHIFT;
  size_t len = (size_t)snprintf(buf, n, "VSXL=%d",
                                vsxl == 2   ? 64
                                : vsxl == 1 ? 32
                                            : 0);
  u64 vgein = (h & HSTATUS_VGEIN) >> HSTATUS_VGEIN_SHIFT;
  if (vgein && len < n)
    len += (size_t)snprintf(buf + len, n - len, " VGEIN=%lu", vgein);
  for (size_t i = 0; i < ARRAY_SIZE(bits) && len < n; i++)
    if (h & bits[i].bit)
      len += (size_t)snprintf(buf + len, n - len, " %s", bits[i].name);
}

static void field(const char *name, u64 v, const char *note) {
  printf("    %-11s %016lx%s%s\n", name, v, note ? "  " : "", note ? note : "");
}

static const char *state_name(enum vcpu_state s) {
  switch (s) {
  case VCPU_READY: return "ready";
  case VCPU_RUNNING: return "running";
  case VCPU_STOPPED: return "stopped";
  case VCPU_FAILED: return "failed";
  }
  return "?";
}

void vcpu_dump(const struct vcpu *v) {
  char hs[96];
  printf("vcpu '%s' (%s)\n", v->name ? v->name : "?", state_name(v->state));
  printf("  guest state:\n");
  field("pc", v->pc, NULL);
  dump_regs("    ", v->x);
  field("vsstatus", v->vs.vsstatus, NULL);
  field("vsie", v->vs.vsie, NULL);
  field("vstvec", v->vs.vstvec, NULL);
  field("vsscratch", v->vs.vsscratch, NULL);
  field("vsepc", v->vs.vsepc, NULL);
  field("vscause", v->vs.vscause, NULL);
  field("vstval", v->vs.vstval, NULL);
  field("vsatp", v->vs.vsatp, NULL);
  field("vstimecmp", v->vs.vstimecmp, NULL);
  printf("  host state:\n");
  field("ra", v->host_ra, NULL);
  field("sp", v->host_sp, NULL);
  field("fp", v->host_fp, NULL);
  printf("  controls:\n");
  hstatus_decode(v->ctl.hstatus, hs, sizeof hs);
  field("hstatus", v->ctl.hstatus, hs);
  field("hedeleg", v->ctl.hedeleg, NULL);
  field("hideleg", v->ctl.hideleg, NULL);
  field("hvip", v->ctl.hvip, NULL);
  field("hcounteren", v->ctl.hcounteren, NULL);
  field("henvcfg", v->ctl.henvcfg, NULL);
  field("htimedelta", v->ctl.htimedelta, NULL);
  field("hgatp", v->ctl.hgatp, NULL);
  if (v->state == VCPU_READY) {  // never entered: nothing to show yet
    printf("  exit information: none yet (the vCPU has not run)\n");
    return;
  }
  printf("  exit information:\n");
  field("cause", v->exit.cause, hv_cause_name(v->exit.cause));
  field("pc", v->exit.pc, NULL);
  if (v->exit.cause == EXC_ECALL_VS) {  // a hypercall: its arguments matter
    printf("    (tval, htval, htinst: not read for a hypercall)\n");
    return;
  }
  field("tval", v->exit.tval, NULL);
  field("htval", v->exit.htval, "(guest physical address >> 2)");
  field("htinst", v->exit.htinst, NULL);
}
