// Stage 3: exit handlers for the demo guest (guest=demo, guest_demo.c).
//
// Stage 3 stops a guest at any exit it has no handler for: a wfi (an exit
// because vcpu_init sets hstatus.VTW), an illegal instruction, a CSR the
// guest may not touch. The demo guest does those on purpose, to be seen in
// the monitor, so for it we register handlers that note nothing and step
// over the instruction: the guest goes on as if it had executed a no-op.
// The demo guest never stops, so no later guest meets these handlers.

#include "defs.h"
#include "run.h"

static int skip_insn(struct vcpu *v, struct vm_exit *e) {
  int len;
  u64 insn;
  if (guest_read_insn(e->pc, &insn, &len) != 0)  // it just ran: cannot fail
    return vcpu_fail(v, "demo: cannot read the instruction to skip");
  return len;  // 2 or 4 bytes
}

void demo_exits_init(void) {
  exits_register(EXC_ILLEGAL_INST, skip_insn);
  exits_register(EXC_VIRTUAL_INST, skip_insn);
}
