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
__attribute__((noinline)) static struct sbiret seed(struct vcpu *v) {
  u64 *a = &v->x[10];  // a[0] = a0 ... a[4] = a4
  printf("hv: hypercall #%lu from '%s': args %lu %lu %lu %lu\n", a[0], v->name,
         a[1], a[2], a[3], a[4]);
  if (hvlab.crash_in_handler) {  // a bug in a handler, with a guest loaded
    printf("hv: crash=exit: loading from 0x90000000 inside the handler\n");
    (void)*(volatile u64 *)0x90000000UL;
  }
  // (Compared unsigned: a guest's a0 is any 64-bit value, and a0 + 1
  // must not overflow a signed type.)
  if (a[0] + 1 < (u64)hvlab.seed_limit)
    return SBI_UNCHANGED(v);
  printf("hv: guest '%s' reached a0 = %lu after %lu hypercalls\n", v->name,
         a[0], a[0] + 1);
  v->status = 0;
  v->state = VCPU_STOPPED;
  return SBI_STOPPED;
}

// a0 = the number of exits the guest caused before this call; compare it
// with what the exit trace recorded since the guest started.
__attribute__((noinline)) static struct sbiret count_check(struct vcpu *v) {
  u64 traced = exit_trace.total - hvlab.trace_base - 1;
  int ok = traced == v->x[10];
  printf("hv: exit count check: guest counted %lu, trace recorded %lu: %s\n",
         v->x[10], traced, ok ? "ok" : "MISMATCH");
  hvlab.count_checks_bad += !ok;
  return (struct sbiret){ok ? SBI_SUCCESS : SBI_ERR_FAILED, (i64)traced};
}

// Functions that later stages add (stage 4's memory checks).
static sbi_handler_t more[HVLAB_NFUNCS];

void hvlab_register(u64 fid, sbi_handler_t fn) {
  if (fid >= HVLAB_NFUNCS)
    panic("hvlab_register: function %lu out of range", fid);
  more[fid] = fn;
}

__attribute__((noinline)) static struct sbiret hvlab_call(struct vcpu *v,
                                                          u64 fid) {
  switch (fid) {
  case HVLAB_SEED: return seed(v);
  case HVLAB_TEST:  // a0 = test number, a1 = 1 if it passed
    if (v->x[11] == 1)
      hvlab.tests_passed++;
    else
      hvlab.tests_failed++;
    return SBI_OK(0);
  case HVLAB_COUNT: return count_check(v);
  default:
    if (fid < HVLAB_NFUNCS && more[fid])
      return more[fid](v, fid);
    return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  }
}

// The null call is answered here and everything else out of line, so that
// the benchmark's call needs no stack frame at all. (Written with one
// return: GCC 12 otherwise sets up a frame that the null call never uses.)
struct sbiret hvlab_ext(struct vcpu *v, u64 fid) {
  struct sbiret r = SBI_OK(0);  // the null hypercall: an exit, no more
  if (fid != HVLAB_NOP)
    r = hvlab_call(v, fid);
  return r;
}
