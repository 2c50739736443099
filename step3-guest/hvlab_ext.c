// Stage 3: hvlab's own SBI extension (EID SBI_EXT_HVLAB, in the range the
// SBI spec leaves to vendors). It is how our test guests talk to the
// workbench: the seed guest's hypercall, test results, an exit-count check,
// and a null call for benchmarks. KVM's selftests use the same pattern.

#include "defs.h"
#include "hypercall.h"
#include "run.h"

struct hvlab_state hvlab = {.seed_limit = 10};

// The seed guest's call, as in the x86 tutorial: log it, change no
// register (the guest keeps counting in a0), and stop the guest once it
// has made seed_limit calls.
__attribute__((noinline)) static int seed(struct vcpu *v) {
  u64 *a = &v->x[10];  // a[0] = a0 ... a[4] = a4
  printf("hv: hypercall #%lu from '%s': args %lu %lu %lu %lu\n", a[0], v->name,
         a[1], a[2], a[3], a[4]);
  if (hvlab.crash_in_handler) {  // a bug in a handler, with a guest loaded
    printf("hv: crash=exit: loading from 0x90000000 inside the handler\n");
    (void)*(volatile u64 *)0x90000000UL;
  }
  if ((long)a[0] + 1 < hvlab.seed_limit)
    return SBI_RESUME;
  printf("hv: guest '%s' reached a0 = %lu after %lu hypercalls\n", v->name,
         a[0], a[0] + 1);
  v->status = 0;
  v->state = VCPU_STOPPED;
  return EXIT_STOP;
}

// a0 = the number of exits the guest caused before this call; compare it
// with what the exit trace recorded since the guest started.
__attribute__((noinline)) static int count_check(struct vcpu *v) {
  u64 traced = exit_trace.total - hvlab.trace_base - 1;
  int ok = traced == v->x[10];
  printf("hv: exit count check: guest counted %lu, trace recorded %lu: %s\n",
         v->x[10], traced, ok ? "ok" : "MISMATCH");
  hvlab.count_checks_bad += !ok;
  sbi_return(v, ok ? SBI_SUCCESS : SBI_ERR_FAILED, (i64)traced);
  return SBI_RESUME;
}

// The calls that print are kept out of line (noinline above), so that the
// common, quiet ones need no stack frame at all.
int hvlab_ext(struct vcpu *v, u64 fid) {
  if (fid == HVLAB_NOP) {  // the null hypercall: an exit and nothing else
    sbi_return(v, SBI_SUCCESS, 0);
    return SBI_RESUME;
  }
  switch (fid) {
  case HVLAB_SEED: return seed(v);
  case HVLAB_TEST:  // a0 = test number, a1 = 1 if it passed
    if (v->x[11] == 1)
      hvlab.tests_passed++;
    else
      hvlab.tests_failed++;
    sbi_return(v, SBI_SUCCESS, 0);
    return SBI_RESUME;
  case HVLAB_COUNT: return count_check(v);
  default: sbi_return(v, SBI_ERR_NOT_SUPPORTED, 0); return SBI_RESUME;
  }
}
