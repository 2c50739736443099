// Stage 3: hypercalls -- a guest's ecall, answered the way SBI firmware
// would answer it (see runtime/riscv/sbi.h for the calling convention).
#pragma once

#include "sbi.h"
#include "vcpu.h"

// A handler for one SBI extension. It reads its arguments from the guest's
// registers (a6 = function id, a0.. = arguments) and returns its answer:
// `error` and `value`, which hypercall() -- the one place that touches the
// guest's registers and pc for every call -- writes into a0 and a1 before
// it skips the ecall.
typedef struct sbiret (*sbi_handler_t)(struct vcpu *v, u64 fid);
#define SBI_OK(val) ((struct sbiret){SBI_SUCCESS, (i64)(val)})
#define SBI_ERR(err) ((struct sbiret){(err), 0})
// The legacy extensions (SBI v0.1) return one value, in a0, and preserve
// every other register: their answer hands a1 back unchanged.
#define SBI_LEGACY(v, val) ((struct sbiret){(i64)(val), (i64)(v)->x[11]})
// A call that changes no register (hvlab's seed call) hands both back.
#define SBI_UNCHANGED(v) ((struct sbiret){(i64)(v)->x[10], (i64)(v)->x[11]})
// A call that stopped the guest (guest_stop) answers SBI_STOPPED: its
// error code is far below the spec's (-1..-10), and the guest is not
// resumed, so no register is written.
#define SBI_REPLY_STOPPED (-1000)
#define SBI_STOPPED ((struct sbiret){SBI_REPLY_STOPPED, 0})

// Extensions are looked up by extension id in registration order; later
// stages add theirs (TIME, IPI, ...) with sbi_register(), which replaces
// the handler of an extension registered before with the same ids.
void sbi_register(u64 eid_lo, u64 eid_hi, sbi_handler_t fn);
int hypercall(struct vcpu *v, struct vm_exit *e);  // the ecall exit handler
struct sbiret sbi_base(struct vcpu *v, u64 fid);   // BASE, SBI v1.0
// The guest's SBI console: a byte, shown after "guest| " at line starts.
void guest_putc(int c);
void hypercall_init(void);

// Stop the guest with `status` (its exit status), saying how it ended.
struct sbiret guest_stop(struct vcpu *v, int status, const char *how);

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
struct sbiret hvlab_ext(struct vcpu *v, u64 fid);
// Later stages answer more of hvlab's functions (HVLAB_NFUNCS) here.
void hvlab_register(u64 fid, sbi_handler_t fn);
