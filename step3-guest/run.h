// Stage 3: running a guest and dispatching its exits.
#pragma once

#include "hvlab/trace.h"
#include "types.h"
#include "vcpu.h"

// What a handler returns: how many bytes to advance the guest pc past the
// exiting instruction (0 to re-execute it, 2 or 4 to skip it), or
// EXIT_STOP when the guest has stopped (v->state says how: VCPU_STOPPED
// after a shutdown, VCPU_FAILED after an error the handler reported).
// Every exit handler speaks this one vocabulary; SBI handlers answer
// hypercall() instead (hypercall.h), and it turns their answer into this.
#define EXIT_STOP (-1)
typedef int (*exit_handler_t)(struct vcpu *v, struct vm_exit *e);

// run.c
int vcpu_loop(struct vcpu *v);
u64 guest_read_insn(u64 pc, u64 *insn, int *len);  // 0 or a fault's scause

// guestmem.S: loads from guest virtual addresses that survive a fault.
// Each returns 0 and stores *val, or returns the fault's scause.
u64 guest_hlvx_hu(u64 gva, u64 *val);  // 16 bits, as an instruction fetch
u64 guest_hlv_bu(u64 gva, u64 *val);   // 8 bits, as a load

// exits.c
void exits_register(u64 cause, exit_handler_t h);
int handle_exit(struct vcpu *v, struct vm_exit *e);
int vcpu_fail(struct vcpu *v, const char *why);
void exits_init(void);

// trace.c
extern struct exit_trace exit_trace;
void trace_summary(void);

// Count an exit and record it in the ring: a few stores, on every exit.
// The record's arguments are the hypercall's (a7, a6, a0); for any other
// exit, trace_fault_args() puts the fault information there instead.
static inline struct exit_record *trace_exit(const struct vcpu *v,
                                             const struct vm_exit *e, u64 idx) {
  // Read everything first: the compiler cannot tell that the stores into
  // the trace do not overwrite *v, and would otherwise read it again.
  u64 cause = e->cause, pc = e->pc;
  u64 a7 = v->x[17], a6 = v->x[16], a0 = v->x[10];
  struct exit_trace *t = &exit_trace;
  // Atomic adds (one amoadd each): stage 5's vCPUs exit on several harts
  // at once, and each must get a record of its own.
  u64 n = __atomic_fetch_add(&t->total, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&t->count[idx], 1, __ATOMIC_RELAXED);
  struct exit_record *r = &t->ring[n & (TRACE_CAP - 1)];
  r->cause = cause;
  r->pc = pc;
  r->arg[0] = a7;  // extension
  r->arg[1] = a6;  // function
  r->arg[2] = a0;  // first argument
  r->hart = (u64)v->id;
  __atomic_store_n(&r->seq, n + 1, __ATOMIC_RELEASE);  // the record is whole
  return r;
}

static inline void trace_fault_args(struct exit_record *r,
                                    const struct vm_exit *e) {
  r->arg[0] = e->tval;
  r->arg[1] = e->htval << 2;  // the guest physical address, for page faults
  r->arg[2] = e->htinst;
}
