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
  volatile u64 acks;      // requests done so far (vhart_request waits on it)
  u64 timer;              // SBI set_timer deadline, in guest time; ~0 = none
  u64 fp[33];             // f0..f31 and fcsr, saved when the vCPU stops
  volatile int ready;     // its physical hart is up and waiting
  volatile int parked;    // ... and has left the VM for good
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
// Apply what other harts asked of the vCPU this hart runs (its exit
// handler for the IPI that told it). Returns an exit handler's answer.
int vhart_sync(struct vhart *h);

// smp.c: find the physical harts, start them, run the VM until it ends.
// smp_init returns how many harts the guest gets (1..VHART_MAX).
int smp_init(const char *name);
// Run vCPU 0 at pc with a0 = 0, a1 = a1 (the others wait for hart_start)
// until the VM ends; returns its status (what stopped it decides).
int smp_run(u64 pc, u64 a1);
// The VM ends (a shutdown, a failure): the first caller sets its status.
void vm_end(struct vhart *h, int status);
extern int guest_sstc;  // 1: the guest has Sstc (its own stimecmp)

// vtimer.c: the guest's timer (SBI set_timer), wfi, and the exits of the
// hypervisor's own interrupts.
void vtimer_init(void);
void vtimer_set(struct vhart *h, u64 when);
void vtimer_sbi(struct vhart *h, u64 when);  // SBI set_timer: vtimer_set
                                             // and, with Sstc, a backstop
void host_timer_set(u64 when);               // our own timer, in host time
// Wait (wfi) until an interrupt is pending for this hart's vCPU or for us.
void host_wait(void);
// Called when this hart has waited (wfi) or taken an interrupt: devices
// that watch the host (the console) look for input. Set by main.c.
extern void (*host_input_poll)(void);

// mmio.c: inject an exception into the guest, as the hardware would have
// had it been delegated: vsepc, vscause, vstval, vsstatus, pc = vstvec.
// Returns 0 (an exit handler's "no advance": the pc is already set).
int guest_inject(struct vcpu *v, u64 cause, u64 tval);
void mmio_init(void);

// The FPU registers (hart_entry.S).
void fp_save(u64 buf[33]);
void fp_restore(const u64 buf[33]);
