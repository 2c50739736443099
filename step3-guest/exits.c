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
  u64 i = trace_index(e->cause);
  // Trace first, so that even a fatal exit is in the trace.
  struct exit_record *r = trace_exit(v, e, i);
  if (__builtin_expect(e->cause != EXC_ECALL_VS, 0))
    trace_fault_args(r, e);
  int advance = handlers[i](v, e);
  if (advance >= 0)
    v->pc += (u64)advance;
  return advance;
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

static int exit_unhandled(struct vcpu *v, struct vm_exit *e) {
  char why[96];
  snprintf(why, sizeof why, "unhandled exit: scause %lu (%s) at pc %016lx",
           e->cause, hv_cause_name(e->cause), e->pc);
  return vcpu_fail(v, why);
}

// ebreak in the guest. Stage 1 left breakpoints undelegated (hedeleg bit 3
// clear), so they come to us: here we just note them and step over. The
// instruction is read to learn its length: ebreak is 4 bytes, c.ebreak 2.
static int exit_breakpoint(struct vcpu *v, struct vm_exit *e) {
  int len;
  guest_read_insn(e->pc, &len);
  printf("hv: guest '%s' ebreak at %016lx (%s), skipping %d bytes\n", v->name,
         e->pc, len == 2 ? "c.ebreak" : "ebreak", len);
  return len;
}

void exits_init(void) {
  exits_register(EXC_ECALL_VS, hypercall);  // hypercall.c
  exits_register(EXC_BREAKPOINT, exit_breakpoint);
  hypercall_init();
}
