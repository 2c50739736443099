// Stage 5: several vCPUs, each on a physical hart of its own.
//
// A guest has 1..VHART_MAX harts. vCPU i (the guest's hart id i) runs on
// one physical hart for its whole life, so its CPU state -- floating point
// included -- never has to share a hart with another vCPU's. The boot hart
// runs vCPU 0; the others wait in the hypervisor until the guest starts
// their vCPU with SBI HSM hart_start.
#pragma once

#include "run.h"
#include "vm.h"

#define VHART_MAX 4

struct vhart {
  struct vcpu vcpu;  // first: a struct vcpu * is also a struct vhart *
  int id;            // the guest's hart id, 0..nharts-1
  u64 phys;          // the physical hart it runs on
  // SBI HSM state (SBI_HSM_STATE_*), changed under vhart_lock.
  volatile long hsm;
  u64 start_pc, start_opaque;  // for the next start (hart_start)
  // Interrupt bits (MIP_VSSIP, MIP_VSTIP, MIP_VSEIP) that other harts or
  // devices want raised or lowered in this vCPU's hvip: set with atomics,
  // applied by the hart that runs the vCPU (vhart_sync).
  volatile u64 raise, lower;
  volatile u64 requests;  // VHART_REQ_*: work for the vCPU's own hart
  u64 timer;              // SBI set_timer deadline, in guest time; ~0 = none
  u64 fp[33];             // f0..f31 and fcsr, saved when the vCPU stops
};

#define VHART_REQ_FENCE_I (1UL << 0)      // fence.i
#define VHART_REQ_HFENCE_VVMA (1UL << 1)  // flush the guest's VS-stage TLB
#define VHART_REQ_STOP (1UL << 2)         // the VM is stopping

extern struct vhart vharts[VHART_MAX];
extern int nharts;  // how many the guest has (boot argument harts=)

static inline struct vhart *vhart_of(struct vcpu *v) {
  return (struct vhart *)v;
}
// The vhart this physical hart runs (NULL in the hypervisor's own code on
// a hart that runs none yet).
struct vhart *vhart_self(void);

// Raise or lower interrupt bits of hvip in h's vCPU, from any hart: if
// h runs on another hart, that hart is interrupted (an IPI) and applies
// them before its guest runs on.
void vhart_irq(struct vhart *h, u64 bits, int level);
// Ask h's hart to do `req` (VHART_REQ_*) before its guest runs on, and
// wait until it has (for remote fences).
void vhart_request(struct vhart *h, u64 req, int wait);
