// Not linked into the hypervisor: the build compiles this file to assembly
// text and turns each DEFINE line into a #define in asm-offsets.h, so that
// switch.S uses the compiler's own idea of where struct vcpu's fields are
// instead of hand-counted numbers that silently drift.

#include "vcpu.h"

#define DEFINE(sym, val) asm volatile("\n->" #sym " %0" : : "i"(val))

void asm_offsets(void) {
  DEFINE(VCPU_X, offsetof(struct vcpu, x));
  DEFINE(VCPU_PC, offsetof(struct vcpu, pc));
  DEFINE(VCPU_HOST_RA, offsetof(struct vcpu, host_ra));
  DEFINE(VCPU_HOST_SP, offsetof(struct vcpu, host_sp));
  DEFINE(VCPU_HOST_FP, offsetof(struct vcpu, host_fp));
}
