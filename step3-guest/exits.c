// Stage 3: what to do about each exit.
//
// An exit's cause (scause) indexes a table of handlers, as in Bao and KVM.
// Stage 3 fills in two entries; later stages register more with
// exits_register() without touching this file. A cause nobody handles is a
// guest we do not understand, so the default handler stops it loudly:
// the vCPU dump and a non-zero power-off, never a silent hang.

#include "defs.h"
#include "hypercall.h"
#include "riscv.h"
#include "run.h"

static int exit_unhandled(struct vcpu *v, struct vm_exit *e);

static exit_handler_t handlers[TRACE_NCOUNT] = {
    [0 ... TRACE_NCOUNT - 1] = exit_unhandled,
};

void exits_register(u64 cause, exit_handler_t h) {
  handlers[trace_index(cause)] = h;
}

// Called by vcpu_loop after every exit. Returns EXIT_STOP once the guest
// has stopped, else how far its pc moved.
int handle_exit(struct vcpu *v, struct vm_exit *e) {
  // BEGIN TASK lab3.3
  u64 i = trace_index(e->cause);
  // Trace first, so that even a fatal exit is in the trace.
  struct exit_record *r = trace_exit(v, e, i);
  if (__builtin_expect(e->cause != EXC_ECALL_VS, 0))
    trace_fault_args(r, e);
  int advance = handlers[i](v, e);
  if (advance >= 0)
    v->pc += (u64)advance;
  return advance;
  // STUB: (void)v;
  // STUB: (void)e;
  // STUB: @TODO@;
  // END TASK
}

// Stop the guest as failed: say why and show everything. Handlers then
// return EXIT_STOP, and vcpu_loop returns EXIT_GUEST_ERROR.
int vcpu_fail(struct vcpu *v, const char *why) {
  printf("hv: guest '%s' failed: %s\n", v->name, why);
  v->state = VCPU_FAILED;
  vcpu_save(v);
  vcpu_dump(v);
  return EXIT_STOP;
}

// Words for the instruction behind an illegal- or virtual-instruction
// exit, so that the report points at the cause ("sret", "csrr of hgatp").
// Not a disassembler: just the instructions a guest should not run here.
static const char *insn_words(u32 insn, char *buf, size_t n) {
  static const struct {
    u32 csr;
    const char *name;
  } csrs[] = {
      {CSR_HSTATUS, "hstatus"}, {CSR_HEDELEG, "hedeleg"},
      {CSR_HIDELEG, "hideleg"}, {CSR_HGATP, "hgatp"},
      {CSR_HVIP, "hvip"},       {CSR_VSATP, "vsatp"},
      {0x300, "mstatus"},       {0x003, "fcsr, with the FPU off"},
      {0xc00, "cycle"},         {0xc01, "time"},
      {0xc02, "instret"},
  };
  u32 op = insn & 0x7f, f3 = (insn >> 12) & 7, f7 = insn >> 25;
  if (insn == 0)
    return "an all-zero instruction word (defined to be illegal)";
  if ((insn & 3) != 3) {
    snprintf(buf, n, "the 16-bit instruction %04x", insn & 0xffff);
    return buf;
  }
  if (insn == 0x10200073)
    return "sret";
  if (insn == 0x30200073)
    return "mret";
  if (insn == 0x10500073)
    return "wfi";
  if (op == 0x73 && f3 == 0 && f7 == 0x09)
    return "sfence.vma";
  if (op == 0x73 && f3 == 0 && f7 == 0x11)
    return "hfence.vvma";
  if (op == 0x73 && f3 == 0 && f7 == 0x31)
    return "hfence.gvma";
  if (op == 0x73 && f3 == 4)
    return "a hypervisor load/store (hlv, hlvx or hsv)";
  if (op == 0x73 && f3 != 0) {
    u32 csr = insn >> 20;
    const char *name = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(csrs); i++)
      if (csrs[i].csr == csr)
        name = csrs[i].name;
    if (name)
      snprintf(buf, n, "an access to CSR %s (%03x)", name, csr);
    else
      snprintf(buf, n, "an access to CSR %03x", csr);
    return buf;
  }
  if (op == 0x07 || op == 0x27 || op == 0x43 || op == 0x47 || op == 0x4b ||
      op == 0x4f || op == 0x53)
    return "a floating-point instruction";
  snprintf(buf, n, "the instruction %08x", insn);
  return buf;
}

static int exit_unhandled(struct vcpu *v, struct vm_exit *e) {
  char why[96], words[48];
  // Name the instruction first. It is read from the guest (the CPU fetched
  // it from there a moment ago, so the read should not fault) rather than
  // taken from stval: QEMU 7.2 leaves stval stale for some virtual-
  // instruction exits (hlv.d showed a CSR access of OpenSBI's).
  if (e->cause == EXC_ILLEGAL_INST || e->cause == EXC_VIRTUAL_INST) {
    int len;
    u64 insn;
    if (guest_read_insn(e->pc, &insn, &len) == 0)
      printf("hv: the instruction at pc %016lx is %s\n", e->pc,
             insn_words((u32)insn, words, sizeof words));
  }
  // BEGIN TASK lab3.6
  snprintf(why, sizeof why, "unhandled exit: scause %lu (%s) at pc %016lx",
           e->cause, hv_cause_name(e->cause), e->pc);
  return vcpu_fail(v, why);
  // STUB: (void)v;
  // STUB: (void)why;
  // STUB: @TODO@;
  // END TASK
}

// ebreak in the guest. Stage 1 left breakpoints undelegated (hedeleg bit 3
// clear), so they come to us: here we just note them and step over. The
// instruction is read to learn its length: ebreak is 4 bytes, c.ebreak 2.
static int exit_breakpoint(struct vcpu *v, struct vm_exit *e) {
  // BEGIN TASK lab3.5
  int len;
  u64 insn, err = guest_read_insn(e->pc, &insn, &len);
  if (err) {  // the guest ran it, so this should not happen: say so
    char why[96];
    snprintf(why, sizeof why, "cannot read its ebreak at %016lx (%s)", e->pc,
             hv_cause_name(err));
    return vcpu_fail(v, why);
  }
  printf("hv: guest '%s' ebreak at %016lx (%s), skipping %d bytes\n", v->name,
         e->pc, len == 2 ? "c.ebreak" : "ebreak", len);
  return len;
  // STUB: (void)v;
  // STUB: (void)e;
  // STUB: @TODO@;
  // END TASK
}

void exits_init(void) {
  exits_register(EXC_ECALL_VS, hypercall);  // hypercall.c
  exits_register(EXC_BREAKPOINT, exit_breakpoint);
  hypercall_init();
}
