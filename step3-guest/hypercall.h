// Stage 3: hypercalls -- a guest's ecall, answered the way SBI firmware
// would answer it (see runtime/riscv/sbi.h for the calling convention).
#pragma once

#include "sbi.h"
#include "vcpu.h"

// A handler for one SBI extension. It reads its arguments from the guest's
// registers (a6 = function id, a0.. = arguments) and answers with
// sbi_return() -- or not at all, for calls defined to change no register.
// It returns SBI_RESUME to let the guest go on after its ecall, or
// EXIT_STOP (run.h) if the call stopped the guest.
typedef int (*sbi_handler_t)(struct vcpu *v, u64 fid);
// Skip the ecall: it has no compressed form, always 4 bytes.
#define SBI_RESUME 4

// Extensions are looked up by extension id in registration order; later
// stages add theirs (TIME, IPI, ...) with sbi_register().
void sbi_register(u64 eid_lo, u64 eid_hi, sbi_handler_t fn);
int hypercall(struct vcpu *v, struct vm_exit *e);  // the ecall exit handler
void hypercall_init(void);

int guest_stop(struct vcpu *v, int status, const char *how);

static inline void sbi_return(struct vcpu *v, i64 error, i64 value) {
  v->x[10] = (u64)error;  // a0
  v->x[11] = (u64)value;  // a1
}

// State of the workbench extension (hvlab_ext.c), read by the stage driver.
struct hvlab_state {
  long seed_limit;    // stop the seed guest after this many hypercalls
  long tests_passed;  // HVLAB_TEST results reported by guests
  long tests_failed;
  u64 trace_base;         // exit_trace.total when the current guest started
  long count_checks_bad;  // HVLAB_COUNT calls that did not match the trace
  int crash_in_handler;   // boot arg crash=exit: fault inside an exit handler
};
extern struct hvlab_state hvlab;
int hvlab_ext(struct vcpu *v, u64 fid);
