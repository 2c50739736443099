// Stage 3: running a vCPU -- the loop at the heart of every hypervisor:
//
//     for (;;) { exit = vcpu_run(v); handle_exit(v, exit); }
//
// vcpu_run enters the guest and comes back at its next exit; handle_exit
// (exits.c) decides what the exit means, does it, and moves the guest on.

#include "run.h"
#include "defs.h"
#include "riscv.h"

// Enter the guest and return when it exits, with v->exit filled in.
static inline struct vm_exit *vcpu_run(struct vcpu *v) {
  // switch.S "returns" at the guest's next exit, with the cause in a1 and
  // the guest pc in a2. The guest overwrites every register but sp and s0
  // (the frame pointer), which switch.S restores, so the asm statement says
  // so: the compiler then keeps across it only what it must, instead of
  // switch.S saving all the callee-saved registers every time.
  register struct vcpu *a0 asm("a0") = v;
  register u64 cause asm("a1");
  register u64 pc asm("a2");
  asm volatile("call vcpu_enter"
               : "+r"(a0), "=r"(cause), "=r"(pc)
               :
               : "memory", "ra", "gp", "tp", "t0", "t1", "t2", "s1", "a3", "a4",
                 "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
                 "s9", "s10", "s11", "t3", "t4", "t5", "t6");

  struct vm_exit *e = &v->exit;
  e->cause = cause;
  e->pc = v->pc = pc;
  // The other exit CSRs matter only for some causes; a hypercall (the
  // common case) needs none of them.
  if (__builtin_expect(cause != EXC_ECALL_VS, 0)) {
    e->tval = csr_read(stval);
    e->htval = csr_read(htval);
    e->htinst = csr_read(htinst);
  }
  return e;
}

// Run v until it stops or fails. Returns the guest's exit status (0 for a
// clean shutdown), or EXIT_GUEST_ERROR if it failed.
// (noipa: compiled on its own, v is a pointer the compiler keeps, on the
// stack across the guest's run, instead of an address it rebuilds with two
// instructions at every use.)
__attribute__((noipa)) int vcpu_loop(struct vcpu *v) {
  extern char hv_vector[];
  if (v->pc & 1) {  // instructions are 2-byte aligned at least
    printf("hv: refusing to enter guest '%s': pc %016lx is not aligned\n",
           v->name, v->pc);
    v->state = VCPU_FAILED;
    vcpu_dump(v);
    return EXIT_GUEST_ERROR;
  }
  vcpu_load(v);  // includes hstatus, with SPV set (vcpu_init)
  csr_write(stvec, (u64)hv_vector);
  // sret enters VS-mode when hstatus.SPV=1 and sstatus.SPP=1 (SPP=0 would
  // mean VU-mode). Set SPP once: every exit from the guest's VS-mode sets
  // both again by itself.
  // BEGIN TASK lab3.1
  csr_set(sstatus, SSTATUS_SPP);
  // STUB: @TODO@;
  // END TASK
  guest_loaded = 1;
  v->state = VCPU_RUNNING;

  for (;;) {
    struct vm_exit *e = vcpu_run(v);
    if (handle_exit(v, e) < 0)
      break;
  }

  guest_loaded = 0;
  vcpu_save(v);
  return v->state == VCPU_FAILED ? EXIT_GUEST_ERROR : v->status;
}

// Read the guest instruction at guest virtual address pc, through the
// guest's own translation (vsatp) and the G-stage (hgatp), as the guest
// would fetch it. HLVX.HU ("hypervisor load virtual, execute permission")
// reads 16 bits at a time, so a compressed instruction at the end of a page
// is never over-read. The loads go through guestmem.S's accessors: a pc
// that cannot be read gives an error here, not a hypervisor panic.
// Returns 0 and sets *insn and *len (2 or 4), or returns the scause of the
// fault the read met.
u64 guest_read_insn(u64 pc, u64 *insn, int *len) {
  u64 lo, hi, err;
  if ((err = guest_hlvx_hu(pc, &lo)) != 0)
    return err;
  if ((lo & 3) != 3) {  // low bits != 11: a 16-bit compressed instruction
    *insn = lo;
    *len = 2;
    return 0;
  }
  if ((err = guest_hlvx_hu(pc + 2, &hi)) != 0)
    return err;
  *insn = lo | (hi << 16);
  *len = 4;
  return 0;
}
