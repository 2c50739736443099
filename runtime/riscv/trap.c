// Traps taken by the hypervisor itself (not by a guest).
//
// In a working hypervisor these do not happen, with one planned exception:
// a *probe*, where we try an instruction that may not exist (reading hstatus
// on a CPU without the H extension) and want to learn whether it traps
// instead of dying. Anything else is a bug: dump everything and power off.

#include "defs.h"
#include "riscv.h"
#include "trapframe.h"

// Set while a guest's state is loaded (stage 3's vcpu_loop). A trap that
// hs_trap returns from rewrites hstatus.SPV and sstatus.SPP, which between
// a guest's exit and its next entry must keep saying "return to the
// guest"; so no probing then. Probes are for boot-time detection.
int guest_loaded;

static volatile struct {
  int armed;
  u64 cause;
} probe;

// Arm the probe: if the next instruction that traps is a 4-byte instruction
// (every CSR access is), hs_trap skips it and records the cause.
void probe_arm(void) {
  if (guest_loaded)
    panic("probe_arm: not allowed while a guest is loaded");
  probe.cause = 0;
  probe.armed = 1;
}

// Disarm and return what happened: 0 if nothing trapped, else scause + 1
// (scause can be 0, "instruction address misaligned").
u64 probe_disarm(void) {
  u64 c = probe.armed ? 0 : probe.cause + 1;
  probe.armed = 0;
  return c;
}

void trap_init(void) {
  extern char hs_trapvec[];
  csr_write(sscratch, 0);  // 0 = "the hypervisor is running" (see stage 3)
  csr_write(stvec, (u64)hs_trapvec);
}

// Print the 31 general registers, four to a line, as name=value, each
// line starting with `indent`.
void dump_regs(const char *indent, const u64 x[32]) {
  for (int i = 1; i < 32; i++)
    printf("%s%4s=%016lx%s", i % 4 == 1 ? indent : "", hv_xreg_name(i), x[i],
           (i % 4 == 0 || i == 31) ? "\n" : "  ");
}

// Called from hs_trapvec with every register saved in *tf.
void hs_trap(struct trapframe *tf) {
  static int panicking;
  u64 cause = csr_read(scause);
  u64 stval = csr_read(stval);

  if (panicking) {
    // A trap while printing the dump of another (a console that faults, a
    // stack that ran out): say nothing more and stop.
    poweroff(EXIT_HV_PANIC);
  }

  if (probe.armed && !(cause & SCAUSE_INTERRUPT)) {
    probe.cause = cause;
    probe.armed = 0;
    tf->sepc += 4;  // skip the probed instruction
    return;
  }

  panicking = 1;
  printf("\nhv: PANIC: unexpected trap in the hypervisor (HS-mode)\n");
  printf("  scause=%016lx (%s)  stval=%016lx  sepc=%016lx\n", cause,
         hv_cause_name(cause), stval, tf->sepc);
  // Read H CSRs only if they exist: on a CPU without H the read would trap
  // again. A probe is safe here because hs_trapvec works on the stack, so
  // a nested trap just comes back through it -- and safe even with a guest
  // loaded (where probe_arm refuses), since we never return to that guest.
  probe.cause = 0;
  probe.armed = 1;
  panicking = 0;  // the probe's trap is expected
  asm volatile("csrr zero, hstatus");
  panicking = 1;
  int has_h = !probe_disarm();
  if (has_h)
    printf("  htval=%016lx  htinst=%016lx  hstatus=%016lx\n", csr_read(htval),
           csr_read(htinst), csr_read(hstatus));
  printf("  sstatus=%016lx\n", csr_read(sstatus));
  dump_regs("  ", tf->x);
  // Was it the hypervisor's own bug, or did something overwrite it?
  integrity_check();
  printf("hv: FAIL: hypervisor panic, powering off with status %d\n",
         EXIT_HV_PANIC);
  poweroff(EXIT_HV_PANIC);
}
